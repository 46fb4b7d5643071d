/**
 * checkSecret parses a secret once and asks for the strict reason only when
 * a verifier is not in canonical form. This checks that shortcut against the
 * plain rule it replaces (malformedSecretReason, then parseSecret) on every
 * shape of secret the role file meets.
 */
import { describe, expect, it } from 'vitest';
import { checkSecret } from '../../src/roles/secret-check.js';
import type { RoleEntry } from '../../src/roles/role-file.js';
import { buildMd5Secret, buildScramSecret, malformedSecretReason, parseSecret } from '../../src/secrets/index.js';

const canonical = buildScramSecret('pencil', { salt: Buffer.from('0123456789abcdef') });
const [, iter, salt, keys] = /^SCRAM-SHA-256\$(\d+):([^$]+)\$(.+)$/.exec(canonical)!;
const unpadded = (b64: string) => b64.replace(/=+$/, '');

const SECRETS: Record<string, string> = {
  canonical,
  'a 32-byte salt': buildScramSecret('pencil', { salt: Buffer.alloc(32, 1) }),
  '+4096 count': `SCRAM-SHA-256$+${iter}:${salt}$${keys}`,
  'leading zero count': `SCRAM-SHA-256$0${iter}:${salt}$${keys}`,
  'count 0': `SCRAM-SHA-256$0:${salt}$${keys}`,
  'unpadded salt': `SCRAM-SHA-256$${iter}:${unpadded(salt!)}$${keys}`,
  'empty salt': `SCRAM-SHA-256$${iter}:$${keys}`,
  'lower-case scheme': canonical.replace('SCRAM-SHA-256', 'scram-sha-256'),
  'short key': canonical.slice(0, -4),
  md5: buildMd5Secret('pw', 'alice'),
  'md5 upper case': buildMd5Secret('pw', 'alice').toUpperCase(),
  'md5 31 digits': buildMd5Secret('pw', 'alice').slice(0, -1),
  plain: 'correct horse battery staple',
  empty: '',
};

/** The rule as it was: the strict reason for every secret, then the kind. */
function reference(secret: string): { code?: string; severity?: string; kind: string } {
  if (secret === '') return { code: 'empty-secret', severity: 'warning', kind: 'empty' };
  const malformed = malformedSecretReason(secret);
  const kind = parseSecret(secret).kind;
  if (malformed !== undefined) return { code: 'malformed-secret', severity: kind === 'plain' ? 'error' : 'warning', kind };
  return kind === 'plain' ? { code: 'plaintext-secret', severity: 'warning', kind } : { kind };
}

describe('checkSecret = the strict rule, one parse', () => {
  for (const [what, secret] of Object.entries(SECRETS)) {
    it(what, () => {
      const entry = { name: 'alice', secret } as RoleEntry;
      const finding = checkSecret(entry);
      const want = reference(secret);
      expect({ code: finding?.code, severity: finding?.severity, kind: entry.kind }).toEqual({ code: want.code, severity: want.severity, kind: want.kind });
      const parsed = parseSecret(secret);
      expect(entry.iterations).toBe(parsed.kind === 'scram-sha-256' ? parsed.iterations : undefined);
    });
  }
});
