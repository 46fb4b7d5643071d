import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * PostgreSQL's pg_saslprep (src/common/saslprep.c) as its callers use it
 * (scram_build_secret, scram_verify_plain_password, libpq scram_init):
 *
 * 1. pure-ASCII input is used unchanged (even control characters);
 * 2. input that is not valid UTF-8 is used as raw bytes;
 * 3. otherwise: non-ASCII spaces (C.1.2) become U+0020, B.1 characters are
 *    dropped; an empty result is PROHIBITED; the result is NFKC-normalised;
 * 4. the prohibited-output (C.1.2-C.9) and unassigned (A.1, Unicode 3.2)
 *    checks and the bidi rules (D.1/D.2) run on the *mapped* input, before
 *    normalisation, exactly as PostgreSQL 15-18 do (RFC 3454 says to check
 *    the normalised output; PostgreSQL does not, so neither do we);
 * 5. PROHIBITED means the caller uses the raw bytes.
 *
 * The RFC 3454 tables come from @mongodb-js/saslprep, a maintained package,
 * rather than hand-written ones. Its own saslprep() cannot be used as is: it
 * checks after NFKC (so e.g. U+0340, U+1D2C differ from PostgreSQL) and
 * returns '' where PostgreSQL reports PROHIBITED. Its tables are the same
 * sets as PostgreSQL's (test/scram/saslprep.test.ts compares with a real
 * server). NFKC is Node's ICU: any code point newer than Unicode 3.2 is
 * refused as unassigned before normalisation matters, and normalisation of
 * 3.2 characters is stable, so the ICU version cannot change the result.
 */
export function preparePassword(password: string): Buffer {
  return preparePasswordBytes(Buffer.from(password, 'utf8'));
}

/** preparePassword for raw password bytes (which need not be UTF-8). */
export function preparePasswordBytes(raw: Buffer): Buffer {
  if (!raw.some((b) => b >= 0x80)) return raw;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(raw);
  } catch {
    return raw; // SASLPREP_INVALID_UTF8
  }
  const prepared = saslprepAsPostgres(text);
  return prepared === undefined ? raw : Buffer.from(prepared, 'utf8');
}

/** pg_saslprep on a valid Unicode string: the prepared string, or undefined for SASLPREP_PROHIBITED. */
export function saslprepAsPostgres(input: string): string | undefined {
  const t = tables();
  const mapped: number[] = [];
  for (const ch of input) {
    const cp = ch.codePointAt(0)!;
    if (t.non_ASCII_space_characters.get(cp)) mapped.push(0x20);
    else if (!t.commonly_mapped_to_nothing.get(cp)) mapped.push(cp);
  }
  if (mapped.length === 0) return undefined; // "don't allow empty password"
  const output = String.fromCodePoint(...mapped).normalize('NFKC');
  for (const cp of mapped) {
    if (t.prohibited_characters.get(cp) || t.unassigned_code_points.get(cp)) return undefined;
  }
  if (mapped.some((cp) => t.bidirectional_r_al.get(cp))) {
    if (mapped.some((cp) => t.bidirectional_l.get(cp))) return undefined;
    if (!t.bidirectional_r_al.get(mapped[0]!) || !t.bidirectional_r_al.get(mapped[mapped.length - 1]!)) return undefined;
  }
  return output;
}

interface BitField {
  get(index: number): boolean;
}
interface CodePointTables {
  unassigned_code_points: BitField;
  commonly_mapped_to_nothing: BitField;
  non_ASCII_space_characters: BitField;
  prohibited_characters: BitField;
  bidirectional_r_al: BitField;
  bidirectional_l: BitField;
}

let loaded: CodePointTables | undefined;

/**
 * Loads the package's RFC 3454 tables (lazily: only non-ASCII passwords need
 * them). The package exports only its saslprep() entry point, so the table
 * modules are required by file path next to it; a layout change in a future
 * version fails loudly here and in the tests rather than silently.
 */
function tables(): CodePointTables {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('@mongodb-js/saslprep'));
  try {
    const { createMemoryCodePoints } = require(join(dir, 'memory-code-points.js')) as {
      createMemoryCodePoints: (data: Buffer) => CodePointTables;
    };
    const data = (require(join(dir, 'code-points-data.js')) as { default: Buffer }).default;
    loaded = createMemoryCodePoints(data);
  } catch (err) {
    throw new Error(`cannot load the SASLprep tables of @mongodb-js/saslprep from ${dir}: ${(err as Error).message}`);
  }
  return loaded;
}
