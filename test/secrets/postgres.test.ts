/**
 * Against a real PostgreSQL: verifiers PostgreSQL makes for passwords that
 * SASLprep changes (and for ones it must leave raw) are reproduced byte for
 * byte and accepted by verifyPassword; a verifier made by `pgauth verifier`
 * and set with ALTER ROLE lets psql log in, and a wrong password is refused.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildScramSecret, parseScramSecret, parseSecret, verifyPassword } from '../../src/secrets/index.js';
import { describeWith, pgMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { pgauth } from '../helpers/proc.js';

/** A U&'' literal, so the password reaches the server whatever psql's client encoding. */
function unicodeLiteral(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "''";
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp <= 0xffff) out += '\\' + cp.toString(16).padStart(4, '0');
    else out += '\\+' + cp.toString(16).padStart(6, '0');
  }
  return `U&'${out}'`;
}

interface Case {
  name: string;
  password: string;
  /** Other spellings PostgreSQL must accept for it (same SASLprep result). */
  same: string[];
  /** Spellings it must refuse. */
  different: string[];
}

const CASES: Case[] = [
  { name: 'soft hyphen U+00AD (mapped to nothing)', password: 'pa\u00adss', same: ['pass'], different: ['pa-ss'] },
  { name: 'no-break space U+00A0 (mapped to space)', password: 'pa\u00a0ss\u00e9', same: ['pa ss\u00e9', 'pa\u3000ss\u00e9'], different: ['pass\u00e9'] },
  { name: 'ligature U+FB01 (NFKC)', password: '\ufb01sh\u00e9', same: ['fish\u00e9'], different: ['fsh\u00e9'] },
  { name: 'roman numeral U+2168 (NFKC)', password: 'king \u2168', same: ['king IX'], different: ['king 9'] },
  { name: 'fullwidth letters (NFKC)', password: '\uff30\uff41\uff53\uff53', same: ['Pass'], different: ['pass'] },
  { name: 'combining acute (NFKC composes)', password: 'cafe\u0301', same: ['caf\u00e9'], different: ['cafe'] },
  { name: 'ASCII control U+0007 (left raw: pure ASCII)', password: 'pa\u0007ss', same: [], different: ['pass', 'pa ss'] },
  { name: 'non-ASCII with a control char (prohibited: raw bytes)', password: '\u00e9\u0007', same: [], different: ['\u00e9'] },
  { name: 'U+0340 (prohibited before NFKC, as PostgreSQL checks)', password: 'a\u0340b', same: [], different: ['a\u0300b', '\u00e0b'] },
  { name: 'U+1D2C (unassigned in Unicode 3.2: raw bytes)', password: 'x\u1d2c', same: [], different: ['xA'] },
  { name: 'emoji (unassigned in Unicode 3.2: raw bytes)', password: 'pw\u{1f600}', same: [], different: ['pw'] },
  { name: 'only a soft hyphen (empty after mapping: raw bytes)', password: '\u00ad', same: [], different: [''] },
  { name: 'mixed RTL and LTR (bidi violation: raw bytes)', password: '\u05d0a\u05d0', same: [], different: ['a'] },
  { name: 'RTL only (allowed)', password: '\u05d0\u05d1', same: [], different: ['\u05d1\u05d0'] },
];

describeWith(pgMissing(), 'secrets against a real PostgreSQL', () => {
  let pg: Cluster;
  beforeAll(async () => {
    pg = await startCluster({
      hba: 'host all scram_login 127.0.0.1/32 scram-sha-256\nhost all md5_login 127.0.0.1/32 md5\nhost all all 127.0.0.1/32 reject\n',
    });
  });
  afterAll(async () => {
    await pg?.stop();
  });

  CASES.forEach((c, i) => {
    it(`reproduces PostgreSQL's verifier: ${c.name}`, async () => {
      const role = `saslprep_${i}`;
      await pg.sql(`SET password_encryption = 'scram-sha-256'; CREATE ROLE ${role} PASSWORD ${unicodeLiteral(c.password)}`);
      const stored = await pg.sql(`SELECT rolpassword FROM pg_authid WHERE rolname = '${role}'`);
      const secret = parseScramSecret(stored);
      expect(buildScramSecret(c.password, { salt: secret.salt, iterations: secret.iterations })).toBe(stored);
      expect(verifyPassword(c.password, parseSecret(stored), role)).toBe(true);
      for (const s of c.same) expect(verifyPassword(s, secret, role), JSON.stringify(s)).toBe(true);
      for (const d of c.different) expect(verifyPassword(d, secret, role), JSON.stringify(d)).toBe(false);
    });
  });

  it("PostgreSQL's md5 secret is reproduced byte for byte", async () => {
    await pg.sql(`SET password_encryption = 'md5'; CREATE ROLE md5_made PASSWORD ${unicodeLiteral('p\u00e9 md5')}`);
    const stored = await pg.sql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'md5_made'`);
    expect(parseSecret(stored).kind).toBe('md5');
    expect(verifyPassword('p\u00e9 md5', parseSecret(stored), 'md5_made')).toBe(true);
    expect(verifyPassword('pe md5', parseSecret(stored), 'md5_made')).toBe(false);
  });

  const psql = (user: string, password: string) =>
    pg.client('psql', ['-X', '-At', '-h', '127.0.0.1', '-p', String(pg.port), '-U', user, '-d', 'postgres', '-c', 'SELECT current_user'], {
      env: { PGPASSWORD: password, PGSSLMODE: 'disable' },
    });

  it('a SCRAM verifier from `pgauth verifier --sql` lets psql log in; a wrong password is refused', async () => {
    await pg.sql('CREATE ROLE scram_login LOGIN');
    const password = 'correct horse \u00adbattery';
    const made = await pgauth(['verifier', '--password-stdin', '--sql', 'scram_login'], { input: `${password}\n` });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const statement = made.stdout.trim();
    expect(statement).toMatch(/^ALTER ROLE "scram_login" PASSWORD 'SCRAM-SHA-256\$4096:[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}';$/);
    await pg.sql(statement);
    const stored = await pg.sql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'scram_login'`);
    expect(`ALTER ROLE "scram_login" PASSWORD '${stored}';`).toBe(statement);

    const ok = await psql('scram_login', password);
    expect(ok.stderr).toBe('');
    expect(ok.stdout.trim()).toBe('scram_login');
    const prepared = await psql('scram_login', 'correct horse battery'); // the same after SASLprep
    expect(prepared.stdout.trim()).toBe('scram_login');
    const wrong = await psql('scram_login', 'correct horse battery!');
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('password authentication failed for user "scram_login"');
  });

  it('an md5 secret from `pgauth verifier --method md5` lets psql log in under an md5 line', async () => {
    await pg.sql('CREATE ROLE md5_login LOGIN');
    const made = await pgauth(['verifier', '--password-stdin', '--method', 'md5', '--sql', 'md5_login'], { input: 'md5 pass\n' });
    expect(made.code).toBe(0);
    await pg.sql(made.stdout.trim());
    expect(await pg.sql(`SELECT rolpassword FROM pg_authid WHERE rolname = 'md5_login'`)).toMatch(/^md5[0-9a-f]{32}$/);
    expect((await psql('md5_login', 'md5 pass')).stdout.trim()).toBe('md5_login');
    const wrong = await psql('md5_login', 'md5 pas');
    expect(wrong.stderr).toContain('password authentication failed for user "md5_login"');
  });
});
