/**
 * Password secrets as PostgreSQL stores them in pg_authid.rolpassword and
 * PgBouncer reads them from its auth_file (SPEC §2; reference
 * postgres-auth.md §3.11, §3.12): a SCRAM-SHA-256 verifier, an md5 hash, or
 * plain text. Pure: no files, no sockets.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  SCRAM_DEFAULT_ITERATIONS,
  SCRAM_DEFAULT_SALT_LEN,
  SCRAM_KEY_LEN,
  clientKeyOf,
  constantTimeEqual,
  saltedPassword,
  saltedPasswordAsync,
  serverKeyOf,
  sha256,
  storedKeyOf,
} from '../scram/keys.js';
import { decodeBase64Strict } from '../scram/base64.js';
import type { ScramSecret } from '../scram/secret.js';

export type { ScramSecret };

export { decodeBase64Strict };

export class SecretFormatError extends Error {
  override name = 'SecretFormatError';
  /** What callers switch on (never the message). */
  readonly code = 'SECRET_FORMAT';
}

export type SecretKind = 'scram-sha-256' | 'md5' | 'plain';

export interface Md5Secret {
  kind: 'md5';
  text: string;
  hash: string /* 32 lowercase hex */;
}
export interface PlainSecret {
  kind: 'plain';
  text: string;
}
export type Secret = ScramSecret | Md5Secret | PlainSecret;

/** The scheme word of a SCRAM-SHA-256 verifier (case-sensitive in PostgreSQL). */
export const SCRAM_SCHEME = 'SCRAM-SHA-256';
/** MD5_PASSWD_LEN: 'md5' + 32 hex digits. */
export const MD5_PASSWD_LEN = 35;
/** Largest iteration count PostgreSQL can store (scram_iterations is an int GUC). */
export const MAX_SCRAM_ITERATIONS = 2147483647;

const MD5_SECRET = /^md5[0-9a-f]{32}$/;

/**
 * Base64 decoding as PostgreSQL's pg_b64_decode (src/common/base64.c) accepts
 * it: whitespace is skipped, '=' may only pad the third or fourth place of a
 * quad, and the input must end on a quad boundary. Used only to classify
 * secrets the way PostgreSQL and PgBouncer do.
 */
function decodeBase64Lenient(text: string): Buffer | undefined {
  const cleaned = text.replace(/[ \t\n\r]/g, '');
  if (cleaned.length % 4 !== 0) return undefined;
  if (!/^[A-Za-z0-9+/]*(?:==?)?$/.test(cleaned)) return undefined;
  return Buffer.from(cleaned, 'base64');
}

/**
 * Parses like PostgreSQL's parse_scram_secret (auth-scram.c): split on '$',
 * ':', '$', ':'; scheme exactly SCRAM-SHA-256; iterations through strtol (so
 * leading blanks, a sign, even an empty or negative count pass); salt any
 * valid base64; both keys exactly 32 bytes. Returns a reason on failure.
 */
function parseScramSecretAsPostgres(text: string): ScramSecret | string {
  const d1 = text.indexOf('$');
  if (d1 < 0) return 'it has no "$" after the scheme';
  const scheme = text.slice(0, d1);
  if (scheme !== SCRAM_SCHEME) return `the scheme is "${scheme}", not "${SCRAM_SCHEME}" (case matters)`;
  const rest1 = text.slice(d1 + 1);
  const c1 = rest1.indexOf(':');
  if (c1 < 0) return 'expected "<iterations>:<salt>" after the scheme';
  const iterText = rest1.slice(0, c1);
  const rest2 = rest1.slice(c1 + 1);
  const d2 = rest2.indexOf('$');
  if (d2 < 0) return 'expected "$<StoredKey>:<ServerKey>" after the salt';
  const saltText = rest2.slice(0, d2);
  const rest3 = rest2.slice(d2 + 1);
  const c2 = rest3.indexOf(':');
  if (c2 < 0) return 'expected "<StoredKey>:<ServerKey>" after the salt';
  const storedText = rest3.slice(0, c2);
  const serverText = rest3.slice(c2 + 1);

  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]*)$/.exec(iterText);
  if (!m) return `the iteration count "${iterText}" is not a number`;
  let iterations = m[2] === '' ? 0 : Number(m[2]);
  if (m[1] === '-') iterations = -iterations;
  if (!Number.isSafeInteger(iterations) || Math.abs(iterations) > MAX_SCRAM_ITERATIONS) {
    return `the iteration count "${iterText}" is out of range`;
  }
  const salt = decodeBase64Lenient(saltText);
  if (!salt) return `the salt "${saltText}" is not valid base64`;
  const storedKey = decodeBase64Lenient(storedText);
  if (!storedKey) return 'the StoredKey is not valid base64';
  if (storedKey.length !== SCRAM_KEY_LEN) return `the StoredKey decodes to ${storedKey.length} bytes, not ${SCRAM_KEY_LEN}`;
  const serverKey = decodeBase64Lenient(serverText);
  if (!serverKey) return 'the ServerKey is not valid base64';
  if (serverKey.length !== SCRAM_KEY_LEN) return `the ServerKey decodes to ${serverKey.length} bytes, not ${SCRAM_KEY_LEN}`;
  return { kind: 'scram-sha-256', text, iterations, salt, storedKey, serverKey };
}

/**
 * Strict parse of `SCRAM-SHA-256$<iter>:<salt b64>$<StoredKey b64>:<ServerKey b64>`:
 * canonical base64 everywhere, salt of any length, iterations a plain decimal
 * 1..2147483647, keys 32 bytes. Throws SecretFormatError saying what is wrong.
 */
export function parseScramSecret(text: string): ScramSecret {
  const fail = (why: string): never => {
    throw new SecretFormatError(`malformed SCRAM-SHA-256 secret: ${why}`);
  };
  const m = /^([^$]*)\$([^:]*):([^$]*)\$([^:]*):(.*)$/s.exec(text);
  if (!m) return fail('expected SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>');
  const [, scheme, iterText, saltText, storedText, serverText] = m as unknown as [string, string, string, string, string, string];
  if (scheme !== SCRAM_SCHEME) fail(`the scheme is "${scheme}", not "${SCRAM_SCHEME}" (case matters)`);
  if (!/^[0-9]+$/.test(iterText)) fail(`the iteration count "${iterText}" is not a decimal number`);
  const iterations = Number(iterText);
  if (iterations < 1) fail(`the iteration count ${iterText} is below 1`);
  if (iterations > MAX_SCRAM_ITERATIONS) fail(`the iteration count ${iterText} is above ${MAX_SCRAM_ITERATIONS}`);
  const salt = decodeBase64Strict(saltText) ?? fail(`the salt "${saltText}" is not valid base64`);
  const storedKey = decodeBase64Strict(storedText) ?? fail('the StoredKey is not valid base64');
  if (storedKey.length !== SCRAM_KEY_LEN) fail(`the StoredKey decodes to ${storedKey.length} bytes, not ${SCRAM_KEY_LEN}`);
  const serverKey = decodeBase64Strict(serverText) ?? fail('the ServerKey is not valid base64');
  if (serverKey.length !== SCRAM_KEY_LEN) fail(`the ServerKey decodes to ${serverKey.length} bytes, not ${SCRAM_KEY_LEN}`);
  return { kind: 'scram-sha-256', text, iterations, salt, storedKey, serverKey };
}

/**
 * Classifies like PostgreSQL's get_password_type and PgBouncer's: a string
 * parse_scram_secret accepts is SCRAM, 'md5' + 32 lowercase hex is md5,
 * anything else is plain text (so a mistyped verifier silently becomes a
 * password: see malformedSecretReason).
 */
export function parseSecret(text: string): Secret {
  if (text.length === MD5_PASSWD_LEN && MD5_SECRET.test(text)) return { kind: 'md5', text, hash: text.slice(3) };
  if (text.startsWith(`${SCRAM_SCHEME}$`)) {
    const parsed = parseScramSecretAsPostgres(text);
    if (typeof parsed !== 'string') return parsed;
  }
  return { kind: 'plain', text };
}

/**
 * Why a string that *looks* like a SCRAM or md5 secret is malformed (so
 * PostgreSQL and PgBouncer would treat it as plain text, or, for an
 * iteration count below 1, as a verifier no client accepts); undefined if it
 * is well-formed or clearly a plain password.
 */
export function malformedSecretReason(text: string): string | undefined {
  if (/^scram-/i.test(text)) {
    try {
      parseScramSecret(text);
      return undefined;
    } catch (err) {
      const why = (err as Error).message;
      const asPg = text.startsWith(`${SCRAM_SCHEME}$`) ? parseScramSecretAsPostgres(text) : 'not SCRAM';
      return typeof asPg === 'string'
        ? `${why}; PostgreSQL and PgBouncer would take it as a plain-text password`
        : why;
    }
  }
  if (/^md5/i.test(text) && !MD5_SECRET.test(text)) {
    const hex = text.slice(3);
    if (/^[0-9a-f]+$/i.test(hex) && hex.length >= 16) {
      const why =
        hex.length !== 32
          ? `it has ${hex.length} hex digits after "md5", not 32`
          : `"${text.slice(0, 3)}" and the hex digits must be lower case`;
      return `malformed md5 secret: ${why}; PostgreSQL and PgBouncer would take it as a plain-text password`;
    }
  }
  return undefined;
}

function scramParams(opts: { iterations?: number; salt?: Buffer }): { iterations: number; salt: Buffer } {
  const iterations = opts.iterations ?? SCRAM_DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1 || iterations > MAX_SCRAM_ITERATIONS) {
    throw new SecretFormatError(`SCRAM iteration count must be an integer from 1 to ${MAX_SCRAM_ITERATIONS}, not ${iterations}`);
  }
  return { iterations, salt: opts.salt ?? randomBytes(SCRAM_DEFAULT_SALT_LEN) };
}

function formatScramSecret(iterations: number, salt: Buffer, salted: Buffer): string {
  const storedKey = storedKeyOf(clientKeyOf(salted));
  const serverKey = serverKeyOf(salted);
  return `${SCRAM_SCHEME}$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/** Builds a verifier in scram_build_secret's exact format. Default 4096 iterations, 16 random salt bytes. */
export function buildScramSecret(password: string, opts: { iterations?: number; salt?: Buffer } = {}): string {
  const { iterations, salt } = scramParams(opts);
  return formatScramSecret(iterations, salt, saltedPassword(password, salt, iterations));
}

/** buildScramSecret with the key derivation off the main thread (for progress on a high count). */
export async function buildScramSecretAsync(password: string, opts: { iterations?: number; salt?: Buffer } = {}): Promise<string> {
  const { iterations, salt } = scramParams(opts);
  return formatScramSecret(iterations, salt, await saltedPasswordAsync(password, salt, iterations));
}

/** 'md5' + md5hex(password ‖ user), as PostgreSQL's pg_md5_encrypt (no SASLprep, raw UTF-8 bytes). */
export function buildMd5Secret(password: string, user: string): string {
  return 'md5' + createHash('md5').update(Buffer.concat([Buffer.from(password, 'utf8'), Buffer.from(user, 'utf8')])).digest('hex');
}

/**
 * The PasswordMessage answer to AuthenticationMD5Password: 'md5' +
 * md5hex(md5hex(password ‖ user) ‖ salt), from the stored md5 secret
 * (PostgreSQL's pg_md5_encrypt twice; fe-auth.c pg_password_sendauth).
 */
export function md5SaltedResponse(md5Secret: string, salt: Buffer): string {
  return 'md5' + createHash('md5').update(Buffer.concat([Buffer.from(md5Secret.slice(3), 'ascii'), salt])).digest('hex');
}

/**
 * Constant-time check of a password against a stored secret, as PostgreSQL's
 * plain_crypt_verify does for the `password` method (md5 needs the role name).
 */
export function verifyPassword(password: string, secret: Secret, user: string): boolean {
  switch (secret.kind) {
    case 'scram-sha-256':
      // PostgreSQL's Hi() runs at least one round whatever the stored count.
      return scramKeysMatch(saltedPassword(password, secret.salt, Math.max(1, secret.iterations)), secret);
    case 'md5':
      return timingSafeEqual(sha256(buildMd5Secret(password, user)), sha256(secret.text));
    case 'plain':
      return timingSafeEqual(sha256(Buffer.from(password, 'utf8')), sha256(Buffer.from(secret.text, 'utf8')));
  }
}

/** Both keys must match (constant time): the SaltedPassword really is this verifier's. */
function scramKeysMatch(salted: Buffer, secret: ScramSecret): boolean {
  const serverOk = constantTimeEqual(serverKeyOf(salted), secret.serverKey);
  const storedOk = constantTimeEqual(storedKeyOf(clientKeyOf(salted)), secret.storedKey);
  return serverOk && storedOk;
}

/** Up to this many SCRAM iterations a check runs inline (a few ms at most). */
export const INLINE_PBKDF2_ITERATIONS = 16_384;

/**
 * verifyPassword with the PBKDF2 of a costly SCRAM secret on libuv's thread
 * pool, for the server: one role with a huge iteration count must not stall
 * every other client while its password is checked. Cheap ones (PostgreSQL's
 * default 4096) stay inline, where a thread hop would cost more than it saves.
 */
export async function verifyPasswordAsync(password: string, secret: Secret, user: string): Promise<boolean> {
  if (secret.kind !== 'scram-sha-256' || secret.iterations <= INLINE_PBKDF2_ITERATIONS) return verifyPassword(password, secret, user);
  return scramKeysMatch(await saltedPasswordAsync(password, secret.salt, Math.max(1, secret.iterations)), secret);
}
