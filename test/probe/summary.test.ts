/**
 * The probe's short summary against a real PostgreSQL (issue 15): binding
 * wording that never contradicts the mechanism, user and database names said
 * with where they came from, a .pgpass ignored for its mode told apart from
 * one without a matching line, and peer named for a no-challenge socket login.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeCerts } from '../helpers/certs.js';
import { describeWith, pgMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { cleanEnv, probeJson } from './helpers.js';

const PW = 'summary-pw';

describeWith(pgMissing(), 'probe summary wording (real PostgreSQL)', () => {
  let pg: Cluster;
  const tmp = tempDir('pgauth-summary-');
  const at = () => `host=127.0.0.1 port=${pg.port}`;
  beforeAll(async () => {
    const certs = makeCerts(join(tmp.path), {});
    pg = await startCluster({ ssl: { cert: certs.serverCert, key: certs.serverKey }, hba: 'host all alice 127.0.0.1/32 scram-sha-256\nhostssl all alice 127.0.0.1/32 scram-sha-256\n' });
    await pg.sql(`CREATE ROLE alice LOGIN PASSWORD '${PW}'`);
  }, 120_000);
  afterAll(async () => {
    await pg?.stop();
    tmp.remove();
  });

  const human = (args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}) => pgauth(['probe', ...args], { env: opts.env ?? cleanEnv(), ...(opts.input !== undefined ? { input: opts.input } : {}) });

  it('a failed SCRAM-SHA-256-PLUS exchange does not also say "no channel binding"; a completed one says it was verified', async () => {
    const bad = await human([`${at()} sslmode=require dbname=postgres`, '-U', 'alice', '--password-stdin'], { input: 'wrong\n' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('SCRAM-SHA-256-PLUS (channel binding tls-server-end-point sent; the exchange did not complete)');
    expect(bad.stdout).not.toMatch(/no channel binding|without channel binding/);
    const good = await human([`${at()} sslmode=require dbname=postgres`, '-U', 'alice', '--password-stdin'], { input: PW + '\n' });
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('SCRAM-SHA-256-PLUS with channel binding tls-server-end-point; 4096 iterations; server signature verified');
    // The short summary: no step table unless asked.
    expect(good.stdout).not.toMatch(/^try\s+step/m);
    expect(good.stdout.trim().split('\n').length).toBeLessThanOrEqual(6);
    const steps = await human([`${at()} sslmode=require dbname=postgres`, '-U', 'alice', '--password-stdin', '-v'], { input: PW + '\n' });
    expect(steps.stdout).toMatch(/^try\s+step\s+ms\s+detail$/m);
    expect(steps.stdout).toMatch(/^1\s+sasl-continue\s/m);
  });

  it('-d nodb: the cause does not say libpq used the user name; no -d: it does', async () => {
    const named = await probeJson([`${at()} sslmode=disable`, '-U', 'alice', '-d', 'nodb', '--password-stdin'], { input: PW + '\n' });
    expect(named.json.diagnosis.code).toBe('database-missing');
    expect(named.json.target.databaseSource).toBe('flag');
    expect(named.json.diagnosis.cause).toBe('Authentication succeeded, but the database "nodb" does not exist.');
    const dflt = await probeJson([`${at()} sslmode=disable`, '-U', 'alice', '--password-stdin'], { input: PW + '\n' });
    expect(dflt.json.diagnosis.code).toBe('database-missing');
    expect(dflt.json.target.databaseSource).toBe('default');
    expect(dflt.json.diagnosis.cause).toContain('No database was given (no -d, PGDATABASE or dbname=), so libpq used the user name.');
    const env = await probeJson([`${at()} sslmode=disable`, '-U', 'alice', '--password-stdin'], { input: PW + '\n', env: cleanEnv({ PGDATABASE: 'fromenv' }) });
    expect(env.json.diagnosis.cause).toContain('The name came from PGDATABASE.');
  });

  it('no -U: the suggested hba line comes with "the OS user name", and the summary says so', async () => {
    const os = userInfo().username;
    const r = await probeJson([`${at()} sslmode=disable dbname=postgres`, '--password-stdin'], { input: PW + '\n' });
    expect(r.json.diagnosis.code).toBe('no-hba-entry');
    expect(r.json.target.userSource).toBe('default');
    expect(r.json.diagnosis.hbaLine).toMatch(new RegExp(`^host\\s+postgres\\s+${os}\\s+127\\.0\\.0\\.1/32\\s+scram-sha-256$`));
    expect(r.json.diagnosis.fix).toContain(`(user "${os}" is the OS user name (no -U, PGUSER or user= was given))`);
    const h = await human([`${at()} sslmode=disable dbname=postgres`, '--password-stdin'], { input: PW + '\n' });
    expect(h.stdout).toContain(`user ${os} (the OS user name)  database postgres (from TARGET)`);
    const fromEnv = await probeJson([`${at()} sslmode=disable dbname=postgres`, '--password-stdin'], { input: PW + '\n', env: cleanEnv({ PGUSER: 'envuser' }) });
    expect(fromEnv.json.target.userSource).toBe('env');
    expect(fromEnv.json.diagnosis.fix).toContain('(user "envuser" came from PGUSER)');
  });

  it('a .pgpass ignored for its 0644 mode is told apart from one without a matching line', async () => {
    const env = cleanEnv();
    const passfile = join(env.HOME!, '.pgpass');
    writeFileSync(passfile, `127.0.0.1:${pg.port}:postgres:alice:${PW}\n`);
    chmodSync(passfile, 0o644);
    const loose = await probeJson([`${at()} sslmode=disable dbname=postgres`, '-U', 'alice', '--no-input'], { env });
    expect(loose.json.diagnosis.code).toBe('password-required');
    expect(loose.json.diagnosis.cause).toContain(`the password file was not read: ${passfile} has mode 0644: libpq ignores a password file that group or others can read`);
    expect(loose.json.diagnosis.cause).not.toContain('no matching line');
    expect(loose.json.diagnosis.fix).toMatch(/^chmod 0600 /);
    expect(loose.stderr).toContain('has group or world access');
    writeFileSync(passfile, `otherhost:5432:postgres:alice:${PW}\n`);
    chmodSync(passfile, 0o600);
    const nomatch = await probeJson([`${at()} sslmode=disable dbname=postgres`, '-U', 'alice', '--no-input'], { env });
    expect(nomatch.json.diagnosis.code).toBe('password-required');
    expect(nomatch.json.diagnosis.cause).toContain(`no matching line in ${passfile}`);
    expect(nomatch.json.diagnosis.cause).not.toContain('not read');
  });

  it('a login over the socket without a challenge names peer (Debian\'s default) as well as trust', async () => {
    const r = await probeJson(['-h', pg.socketDir, '-p', String(pg.port), '-U', 'postgres', '-d', 'postgres']);
    expect(r.json.ok).toBe(true);
    expect(r.json.auth.method).toBe('none');
    expect(r.json.steps.find((s: { step: string }) => s.step === 'auth-request').detail).toContain('peer');
    const h = await human(['-h', pg.socketDir, '-p', String(pg.port), '-U', 'postgres', '-d', 'postgres']);
    expect(h.stdout).toContain('auth     none: no password asked (trust, or peer: the OS user matched, as with Debian\'s default "local all all peer")');
  });
});
