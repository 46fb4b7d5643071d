/**
 * The probe's prompt on a real terminal (tmux) against a real PostgreSQL
 * with `authentication_timeout = 2s` (issue 11 item 7, "must show"): with no
 * password source, a person who takes 4 s to type still logs in, because the
 * probe asks as psql does -- connect, learn a password is needed, close, ask,
 * reconnect -- and no step counts the time at the prompt. `-w` never asks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWith, pgBinDir, pgMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { PGAUTH_BIN } from '../helpers/proc.js';
import { startTmux, tmuxMissing, type TmuxSession } from '../helpers/tmux.js';
import { tempDir } from '../helpers/tmp.js';

const PW = 'typed-slowly';
/** Longer than the server's authentication_timeout (2 s): the scenario, not a synchronisation. */
const THINKING_MS = 4000;

describeWith(pgMissing() ?? tmuxMissing(), 'probe on a terminal against PostgreSQL with authentication_timeout = 2s', () => {
  let pg: Cluster;
  let tty: TmuxSession | undefined;
  // An idle session for the whole file keeps tmux's server from exiting between tests (see tty.test.ts).
  let anchor: TmuxSession | undefined;
  const home = tempDir('pgauth-probe-tty-pg-');
  // No password source at all: an empty HOME (no ~/.pgpass), PGPASSFILE naming an empty file, no PGPASSWORD.
  const passfile = join(home.path, 'empty-pgpass');
  writeFileSync(passfile, '', { mode: 0o600 });
  const probeCommand = (extra: string) =>
    `env -u PGPASSWORD -u PGUSER -u PGDATABASE -u PGHOST -u PGPORT -u PGSERVICE ${process.execPath} ${PGAUTH_BIN} probe 127.0.0.1:${pg.port} -U alice -d postgres ${extra}`;
  const env = () => ({ NO_COLOR: '1', HOME: home.path, PGPASSFILE: passfile });

  beforeAll(async () => {
    anchor = startTmux('true');
    pg = await startCluster({ hba: 'host all all 127.0.0.1/32 scram-sha-256\n', conf: { authentication_timeout: "'2s'" } });
    await pg.sql(`CREATE ROLE alice LOGIN PASSWORD '${PW}'`);
  }, 120_000);
  afterEach(() => tty?.kill());
  afterAll(async () => {
    anchor?.kill();
    await pg?.stop();
    home.remove();
  });

  it('waiting 4 s at the prompt: the login succeeds, and no step holds the wait', async () => {
    const out = join(home.path, 'probe.json');
    tty = startTmux(`${probeCommand('--json')} > ${out}`, env());
    await tty.waitForText('Password for user alice:');
    const askedAt = Date.now();
    await new Promise((r) => setTimeout(r, THINKING_MS));
    tty.send(PW, { literal: true });
    tty.send('Enter');
    expect(await tty.waitForExit(20_000)).toBe(0);
    const waited = Date.now() - askedAt;
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.ok).toBe(true);
    expect(doc.auth.passwordSource).toBe('prompt');
    expect(doc.auth.currentUser).toBe('alice');
    // psql's shape: the first connection learnt a password was needed and was closed before the prompt.
    expect(doc.attempts.map((a: { result: string }) => a.result)).toEqual(['password-needed', 'ok']);
    expect(doc.steps.find((s: { step: string }) => s.step === 'password-needed').attempt).toBe(1);
    // The wait is the scenario's own 4 s: no step's milliseconds may contain it.
    // A step that held the prompt would hold the whole 4 s; half of it is far above any real step.
    for (const s of doc.steps as Array<{ step: string; ms: number }>) expect(s.ms, `step ${s.step}`).toBeLessThan(THINKING_MS / 2);
    expect(waited).toBeGreaterThanOrEqual(THINKING_MS);
    expect(readFileSync(out, 'utf8')).not.toContain(PW);
    // The server saw the first connection end during authentication, not a timeout.
    expect(pg.log()).not.toContain('canceling authentication due to timeout');
  }, 60_000);

  it("psql, the model, does the same: 4 s at its prompt and it still logs in", async () => {
    const psql = join(pgBinDir()!, 'psql');
    tty = startTmux(`env -u PGPASSWORD ${psql} -X -h 127.0.0.1 -p ${pg.port} -U alice -d postgres -At -c 'select current_user'`, env());
    await tty.waitForText('Password for user alice:');
    await new Promise((r) => setTimeout(r, THINKING_MS));
    tty.send(PW, { literal: true });
    tty.send('Enter');
    expect(await tty.waitForExit(20_000)).toBe(0);
    expect(tty.screen()).toMatch(/^alice$/m);
  }, 60_000);

  it('-W asks before connecting: one attempt, no password-needed', async () => {
    const out = join(home.path, 'probe-W.json');
    tty = startTmux(`${probeCommand('-W --json')} > ${out}`, env());
    await tty.waitForText('Password for user alice:');
    tty.send(PW, { literal: true });
    tty.send('Enter');
    expect(await tty.waitForExit(20_000)).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.attempts.map((a: { result: string }) => a.result)).toEqual(['ok']);
    expect(doc.auth.passwordSource).toBe('prompt');
  }, 30_000);

  it('-w with no source: never asks, fails with password-required', async () => {
    tty = startTmux(probeCommand('-w'), env());
    expect(await tty.waitForExit(20_000)).toBe(1);
    const screen = tty.screen();
    expect(screen).not.toContain('Password for user');
    expect(screen).toContain('password-required');
  }, 30_000);
});
