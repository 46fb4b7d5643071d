/** Secrets: every row of ../shared/vectors/pg-verifiers.tsv, classification as PostgreSQL/PgBouncer, strict parsing. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SecretFormatError,
  buildMd5Secret,
  buildScramSecret,
  buildScramSecretAsync,
  malformedSecretReason,
  parseScramSecret,
  parseSecret,
  verifyPassword,
} from '../../src/secrets/index.js';
import { SHARED_VECTORS_DIR, VECTORS_DIR, pgVerifiers } from './vectors.js';

const rows = pgVerifiers();
const ALICE = rows.find((r) => r.role === 'alice')!.secret;
const KEYS = ALICE.slice(ALICE.lastIndexOf('$') + 1);

describe('secrets made by PostgreSQL (pg-verifiers.tsv)', () => {
  it('has the vectors (and the copy matches shared/ when present)', () => {
    expect(rows.length).toBeGreaterThanOrEqual(4);
    if (existsSync(SHARED_VECTORS_DIR + 'pg-verifiers.tsv')) {
      expect(readFileSync(VECTORS_DIR + 'pg-verifiers.tsv', 'utf8')).toBe(readFileSync(SHARED_VECTORS_DIR + 'pg-verifiers.tsv', 'utf8'));
    }
  });

  for (const row of rows) {
    describe(`role ${row.role}`, () => {
      const secret = parseSecret(row.secret);

      it('is classified as PostgreSQL stored it', () => {
        expect(secret.kind).toBe(row.secret.startsWith('SCRAM-SHA-256$') ? 'scram-sha-256' : 'md5');
        expect(secret.text).toBe(row.secret);
        expect(malformedSecretReason(row.secret)).toBeUndefined();
      });

      it('accepts the password', () => {
        expect(verifyPassword(row.password, secret, row.role)).toBe(true);
      });

      it('rejects other passwords', () => {
        for (const other of ['', row.password + ' ', row.password.toUpperCase() === row.password ? 'x' : row.password.toUpperCase(), 'pencil2', row.password.slice(1)]) {
          expect(verifyPassword(other, secret, row.role)).toBe(false);
        }
      });

      it('is rebuilt byte for byte from its salt and iteration count', () => {
        if (secret.kind === 'scram-sha-256') {
          expect(buildScramSecret(row.password, { salt: secret.salt, iterations: secret.iterations })).toBe(row.secret);
        } else {
          expect(buildMd5Secret(row.password, row.role)).toBe(row.secret);
        }
      });
    });
  }

  it('an md5 secret is bound to its role name', () => {
    const carol = rows.find((r) => r.role === "carol")!;
    expect(verifyPassword(carol.password, parseSecret(carol.secret), 'carol2')).toBe(false);
  });
});

describe('parseSecret (PostgreSQL get_password_type / PgBouncer)', () => {
  it('md5 is exactly "md5" + 32 lowercase hex', () => {
    expect(parseSecret('md5' + 'a'.repeat(32)).kind).toBe('md5');
    expect(parseSecret('md5' + 'A'.repeat(32)).kind).toBe('plain');
    expect(parseSecret('MD5' + 'a'.repeat(32)).kind).toBe('plain');
    expect(parseSecret('md5' + 'a'.repeat(31)).kind).toBe('plain');
    expect(parseSecret('md5pass').kind).toBe('plain');
  });

  it('SCRAM accepts any salt length, as PostgreSQL does', () => {
    for (const salt of ['', 'AA==', 'AAAA', Buffer.alloc(64, 1).toString('base64')]) {
      const s = parseSecret(`SCRAM-SHA-256$4096:${salt}$${KEYS}`);
      expect(s.kind).toBe('scram-sha-256');
    }
  });

  it('a malformed SCRAM string is plain text', () => {
    for (const bad of [
      `scram-sha-256$4096:AAAA$${KEYS}`, // scheme is case-sensitive
      `SCRAM-SHA-256$4096:A$${KEYS}`, // bad base64 salt
      `SCRAM-SHA-256$40x6:AAAA$${KEYS}`, // iteration garbage
      `SCRAM-SHA-256$4096:AAAA$${KEYS.slice(4)}`, // StoredKey not 32 bytes
      'SCRAM-SHA-256$4096:AAAA$',
      'SCRAM-SHA-256',
    ]) {
      expect(parseSecret(bad).kind).toBe('plain');
    }
  });

  it("iterations go through strtol as in PostgreSQL's parse_scram_secret", () => {
    expect(parseSecret(`SCRAM-SHA-256$ +4096:AAAA$${KEYS}`)).toMatchObject({ kind: 'scram-sha-256', iterations: 4096 });
    expect(parseSecret(`SCRAM-SHA-256$0:AAAA$${KEYS}`)).toMatchObject({ kind: 'scram-sha-256', iterations: 0 });
    expect(parseSecret(`SCRAM-SHA-256$99999999999:AAAA$${KEYS}`).kind).toBe('plain');
  });

  it('anything else is plain', () => {
    expect(parseSecret('pencil')).toEqual({ kind: 'plain', text: 'pencil' });
    expect(verifyPassword('pencil', parseSecret('pencil'), 'x')).toBe(true);
    expect(verifyPassword('pencil ', parseSecret('pencil'), 'x')).toBe(false);
    expect(verifyPassword('', parseSecret(''), 'x')).toBe(true);
  });
});

describe('parseScramSecret (strict)', () => {
  it('parses the parts', () => {
    const s = parseScramSecret(ALICE);
    expect(s.iterations).toBe(4096);
    expect(s.salt.toString('base64')).toBe('BR5ZSTt+Zs/zxpi+xCjBYg==');
    expect(s.storedKey).toHaveLength(32);
    expect(s.serverKey).toHaveLength(32);
  });

  const cases: Array<[string, string, RegExp]> = [
    ['wrong scheme case', `scram-sha-256$4096:AAAA$${KEYS}`, /scheme is "scram-sha-256"/],
    ['missing parts', 'SCRAM-SHA-256$4096', /expected SCRAM-SHA-256\$<iterations>/],
    ['iterations not decimal', `SCRAM-SHA-256$+4096:AAAA$${KEYS}`, /not a decimal number/],
    ['iterations zero', `SCRAM-SHA-256$0:AAAA$${KEYS}`, /below 1/],
    ['iterations above int', `SCRAM-SHA-256$2147483648:AAAA$${KEYS}`, /above 2147483647/],
    ['salt not base64', `SCRAM-SHA-256$4096:A$${KEYS}`, /salt "A" is not valid base64/],
    ['StoredKey short', `SCRAM-SHA-256$4096:AAAA$AAAA:${KEYS.split(':')[1]}`, /StoredKey decodes to 3 bytes/],
    ['ServerKey not base64', `SCRAM-SHA-256$4096:AAAA$${KEYS.split(':')[0]}:***`, /ServerKey is not valid base64/],
    ['ServerKey with extra', `${ALICE}:x`, /ServerKey is not valid base64/],
  ];
  for (const [name, text, re] of cases) {
    it(`refuses ${name} with a SecretFormatError`, () => {
      expect(() => parseScramSecret(text)).toThrow(SecretFormatError);
      expect(() => parseScramSecret(text)).toThrow(re);
    });
  }

  it('SecretFormatError has its name (cli/main maps it to exit 3)', () => {
    expect(new SecretFormatError('x').name).toBe('SecretFormatError');
    expect(new SecretFormatError('x').code).toBe('SECRET_FORMAT');
  });
});

describe('malformedSecretReason', () => {
  it('is undefined for good secrets and clear passwords', () => {
    expect(malformedSecretReason(ALICE)).toBeUndefined();
    expect(malformedSecretReason('md5' + 'a'.repeat(32))).toBeUndefined();
    expect(malformedSecretReason('pencil')).toBeUndefined();
    expect(malformedSecretReason('md5pass')).toBeUndefined();
  });

  it('explains a SCRAM-looking string PostgreSQL and PgBouncer would take as plain text', () => {
    expect(malformedSecretReason(ALICE.slice(0, -2))).toMatch(/ServerKey.*plain-text password/);
    expect(malformedSecretReason(ALICE.replace('SCRAM-SHA-256', 'scram-sha-256'))).toMatch(/case matters.*plain-text/);
    expect(malformedSecretReason('SCRAM-SHA-1$4096:AAAA$x:y')).toMatch(/scheme/);
  });

  it('explains an iteration count below 1 (a verifier no client accepts)', () => {
    expect(malformedSecretReason(`SCRAM-SHA-256$0:AAAA$${KEYS}`)).toMatch(/below 1/);
  });

  it('explains md5-looking strings', () => {
    expect(malformedSecretReason('md5' + 'A'.repeat(32))).toMatch(/lower case.*plain-text/);
    expect(malformedSecretReason('md5' + 'a'.repeat(31))).toMatch(/31 hex digits/);
  });
});

describe('buildScramSecret and buildMd5Secret', () => {
  it('defaults to 4096 iterations and a random 16-byte salt', () => {
    const a = parseScramSecret(buildScramSecret('pencil'));
    const b = parseScramSecret(buildScramSecret('pencil'));
    expect(a.iterations).toBe(4096);
    expect(a.salt).toHaveLength(16);
    expect(a.salt).not.toEqual(b.salt);
    expect(verifyPassword('pencil', a, 'anyone')).toBe(true);
  });

  it('honours iterations and refuses counts PostgreSQL cannot store', () => {
    expect(parseScramSecret(buildScramSecret('p', { iterations: 1 })).iterations).toBe(1);
    for (const bad of [0, -1, 1.5, 2147483648]) expect(() => buildScramSecret('p', { iterations: bad })).toThrow(SecretFormatError);
  });

  it('the off-thread build gives the same verifier byte for byte (alice from pg-verifiers.tsv, a SASLprep case)', async () => {
    const alice = parseScramSecret(ALICE);
    expect(await buildScramSecretAsync('pencil', { salt: alice.salt, iterations: 4096 })).toBe(ALICE);
    const salt = Buffer.alloc(16, 7);
    expect(await buildScramSecretAsync('pa\u00adss\ufb01', { salt, iterations: 10 })).toBe(buildScramSecret('pa\u00adss\ufb01', { salt, iterations: 10 }));
    await expect(buildScramSecretAsync('p', { iterations: 0 })).rejects.toThrow(SecretFormatError);
  });

  it('md5 is md5(password || user) over UTF-8 bytes, without SASLprep', () => {
    expect(buildMd5Secret('md5pass', 'carol')).toBe('md566d0ea9340e273eddb6aac0246425994');
    expect(buildMd5Secret('p\u00e9', 'r\u00f6le')).toBe('md5' + createHash('md5').update(Buffer.from('p\u00e9r\u00f6le', 'utf8')).digest('hex'));
  });
});

describe('verifyPasswordAsync (the server checks cleartext passwords off the event loop)', () => {
  it('agrees with verifyPassword for every kind of secret, and leaves the event loop free meanwhile', async () => {
    const { verifyPasswordAsync, verifyPassword: verifySync, buildScramSecret: build, buildMd5Secret: md5, parseSecret: parse } = await import('../../src/secrets/index.js');
    const scram = parse(build('pencil', { iterations: 200_000 }));
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const [ok, bad] = await Promise.all([verifyPasswordAsync('pencil', scram, 'u'), verifyPasswordAsync('pencil!', scram, 'u')]);
    clearInterval(timer);
    expect([ok, bad]).toEqual([true, false]);
    expect(ticks).toBeGreaterThan(0); // a synchronous PBKDF2 would not let the interval run at all
    for (const s of [parse(md5('pw', 'alice')), parse('plainpw')]) {
      for (const pw of ['pw', 'plainpw', 'nope']) expect(await verifyPasswordAsync(pw, s, 'alice')).toBe(verifySync(pw, s, 'alice'));
    }
  });
});
