/**
 * `pgauth conform` against real clients (SPEC §10): libpq 15 (Debian's
 * psql), libpq 18, node-postgres and postgres.js, each under default and
 * strict settings. The outcomes are what these clients really did when this
 * test was written; a client that accepts a downgrade shows as failing it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeWith, which } from '../helpers/env.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { libpq18, libpq18Missing } from '../helpers/versions.js';
import { SCENARIO_NAMES } from '../../src/server/scenarios/types.js';

type Did = 'refused' | 'logged-in' | 'sent-password-in-clear' | 'sent-md5-hash' | 'timed-out' | 'no-connection';
interface Result {
  scenario: string;
  did: Did;
  pass: boolean;
  clientMessage: string | null;
}

const tmp = tempDir('pgauth-conform-');
afterAll(() => tmp.remove());
const CLIENTS = new URL('./clients/', import.meta.url).pathname;
const PSQL = ['psql', '-X', '-At', '-c', 'SELECT 1'];

async function conformRun(command: string[], env: NodeJS.ProcessEnv, args: string[]) {
  const r = await pgauth(['conform', '--json', ...args, '--', ...command], { env, timeoutMs: 180_000 });
  const doc = JSON.parse(r.stdout) as { ok: boolean; client: string; results: Result[] };
  return { code: r.code, doc };
}

/**
 * Runs conform over every scenario. The time limit only bounds a client that
 * never finishes: generous for the scenarios a client answers at once (this
 * machine may be loaded), short for huge-iterations, where libpq computes
 * for about 85 s and must be ended.
 */
async function conform(command: string[], env: NodeJS.ProcessEnv = {}, extra: string[] = []) {
  const picked = extra.length > 0;
  const runs = picked
    ? [await conformRun(command, env, ['--scenario-timeout', '60s', ...extra])]
    : [
        await conformRun(command, env, ['--scenario-timeout', '60s', ...SCENARIO_NAMES.filter((n) => n !== 'huge-iterations').flatMap((n) => ['--scenario', n])]),
        await conformRun(command, env, ['--scenario-timeout', '5s', '--scenario', 'huge-iterations']),
      ];
  const results = runs.flatMap((r) => r.doc.results);
  const code = Math.max(...runs.map((r) => r.code ?? 99));
  const doc = { ok: runs.every((r) => r.doc.ok), results };
  return { code, doc, did: Object.fromEntries(SCENARIO_NAMES.filter((n) => results.some((x) => x.scenario === n)).map((n) => [n, results.find((x) => x.scenario === n)!.did])) };
}

const LIBPQ_DEFAULT: Record<string, Did> = {
  'strip-plus': 'logged-in', // channel_binding=prefer accepts plain SCRAM over TLS
  'plus-without-tls': 'refused', // "server offered SCRAM-SHA-256-PLUS authentication over a non-SSL connection"
  'early-ok': 'logged-in', // without require_auth, AuthenticationOk alone is accepted
  'bad-signature': 'refused', // "incorrect server signature"
  'nonce-mismatch': 'refused', // "invalid SCRAM response (nonce mismatch)"
  cleartext: 'sent-password-in-clear',
  'md5-downgrade': 'sent-md5-hash',
  'huge-iterations': 'timed-out', // libpq has no cap on i=
  'oversize-message': 'refused',
  'wrong-cert-binding': 'refused', // prefer uses SCRAM-SHA-256-PLUS over TLS: the signature does not match
};

describeWith(which('psql') ? undefined : 'psql not installed (apt-get install postgresql-client)', 'conform with libpq 15 (Debian psql)', () => {
  it('under default settings: refuses the protocol violations, accepts the downgrades (exit 1)', async () => {
    const r = await conform(PSQL);
    expect(r.did).toEqual(LIBPQ_DEFAULT);
    expect(r.code).toBe(1);
    expect(r.doc.ok).toBe(false);
    const msg = (s: string) => r.doc.results.find((x) => x.scenario === s)!.clientMessage;
    expect(msg('plus-without-tls')).toContain('server offered SCRAM-SHA-256-PLUS authentication over a non-SSL connection');
    expect(msg('oversize-message')).toContain('expected authentication request from server, but received R');
  });

  it('with channel_binding=require and sslmode=require: refuses everything but the iteration bomb', async () => {
    const r = await conform(PSQL, { PGCHANNELBINDING: 'require', PGSSLMODE: 'require' });
    expect(r.did).toEqual({ ...Object.fromEntries(Object.keys(LIBPQ_DEFAULT).map((k) => [k, 'refused'])), 'huge-iterations': 'timed-out' });
    const msg = (s: string) => r.doc.results.find((x) => x.scenario === s)!.clientMessage;
    expect(msg('early-ok')).toContain('channel binding required, but server authenticated client without channel binding');
    expect(msg('cleartext')).toContain("channel binding required but not supported by server's authentication request");
  });

  it('writes JUnit XML and exits 0 when every chosen scenario is refused', async () => {
    const junit = join(tmp.path, 'conform.xml');
    const r = await pgauth(['conform', '--scenario', 'bad-signature', '--scenario', 'nonce-mismatch', '--junit', junit, '--', ...PSQL]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/bad-signature .* refused .* pass/);
    expect(r.stdout).toContain('refused all 2 scenarios');
    const xml = readFileSync(junit, 'utf8');
    expect(xml).toContain('tests="2" failures="0"');
    expect(xml).toContain('<testcase name="nonce-mismatch"');
  });
});

describeWith(libpq18Missing(), 'conform with libpq 18', () => {
  it('with channel_binding=require, require_auth=scram-sha-256, sslmode=verify-full: refuses everything but the iteration bomb', async () => {
    const c = libpq18()!;
    const r = await conform([c.psql, ...PSQL.slice(1)], { ...c.env, PGCHANNELBINDING: 'require', PGREQUIREAUTH: 'scram-sha-256', PGSSLMODE: 'verify-full' });
    expect(r.did).toEqual({ ...Object.fromEntries(Object.keys(LIBPQ_DEFAULT).map((k) => [k, 'refused'])), 'huge-iterations': 'timed-out' });
    const msg = (s: string) => r.doc.results.find((x) => x.scenario === s)!.clientMessage;
    expect(msg('early-ok')).toContain('authentication method requirement "scram-sha-256" failed: server did not complete authentication');
    expect(msg('md5-downgrade')).toContain('authentication method requirement "scram-sha-256" failed: server requested a hashed password');
    expect(msg('oversize-message')).toContain('received invalid authentication request');
  });

  it('under default settings behaves as libpq 15 does', async () => {
    const c = libpq18()!;
    const r = await conform([c.psql, ...PSQL.slice(1)], c.env);
    expect(r.did).toEqual(LIBPQ_DEFAULT);
  });
});

describe('conform with node-postgres', () => {
  it('with TLS and enableChannelBinding: refuses bad signatures, nonces and iteration bombs; accepts downgrades, clear text and md5', async () => {
    const r = await conform([process.execPath, join(CLIENTS, 'node-postgres.mjs')], { CONFORM_SSL: 'on', CONFORM_CHANNEL_BINDING: 'on' });
    expect(r.did).toEqual({
      'strip-plus': 'logged-in',
      'plus-without-tls': 'refused', // "The server does not support SSL connections" (ssl was asked for)
      'early-ok': 'logged-in',
      'bad-signature': 'refused',
      'nonce-mismatch': 'refused',
      cleartext: 'sent-password-in-clear',
      'md5-downgrade': 'sent-md5-hash',
      'huge-iterations': 'refused', // pg caps iterations (scramMaxIterations, 100000)
      'oversize-message': 'logged-in', // no bound on the server-first-message
      'wrong-cert-binding': 'refused',
    });
  });

  it('without channel binding, a proxy with another certificate goes unnoticed', async () => {
    const r = await conform([process.execPath, join(CLIENTS, 'node-postgres.mjs')], { CONFORM_SSL: 'on' }, ['--scenario', 'wrong-cert-binding']);
    expect(r.did).toEqual({ 'wrong-cert-binding': 'logged-in' });
  });
});

describe('conform with postgres.js', () => {
  it('with TLS: refuses only a bad server signature and a server without TLS; accepts a nonce that does not extend its own', async () => {
    const r = await conform([process.execPath, join(CLIENTS, 'postgres-js.mjs')], { CONFORM_SSL: 'on' });
    expect(r.did).toEqual({
      'strip-plus': 'logged-in',
      'plus-without-tls': 'refused',
      'early-ok': 'logged-in',
      'bad-signature': 'refused',
      'nonce-mismatch': 'logged-in', // postgres.js 3.4 does not check that the server nonce extends the client's
      cleartext: 'sent-password-in-clear',
      'md5-downgrade': 'sent-md5-hash',
      'huge-iterations': 'timed-out',
      'oversize-message': 'logged-in',
      'wrong-cert-binding': 'logged-in', // no SCRAM-SHA-256-PLUS
    });
  });
});

describe('conform usage errors', () => {
  it('names an unknown scenario, a command that does not exist, a bad variable name (exit 3)', async () => {
    const unknown = await pgauth(['conform', '--scenario', 'nope', '--', 'true']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toMatch(/^pgauth: --scenario: unknown scenario "nope" \(one of: strip-plus, /);
    const missing = await pgauth(['conform', '--scenario', 'early-ok', '--', '/nonexistent/client']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('pgauth: cannot run /nonexistent/client: command not found');
    const bad = await pgauth(['conform', '--client-url-var', 'A-B', '--', 'true']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain('--client-url-var: "A-B" is not an environment variable name');
  });

  it('reports a client that never connects as failing, with no-connection', async () => {
    const r = await conform(['true'], {}, ['--scenario', 'early-ok']);
    expect(r.did).toEqual({ 'early-ok': 'no-connection' });
    expect(r.code).toBe(1);
  });
});
