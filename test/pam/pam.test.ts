/**
 * pamAuthenticate against real libpam and real modules (pam_exec,
 * pam_access, pam_faildelay, pam_echo) in a temporary confdir: results,
 * messages, configuration errors, the fail delay taken over from libpam,
 * the event loop kept free, and no mix-up or leak under load.
 *
 * The worker threads run the built dist/pam/worker.js (`npm test` builds first).
 */
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWith, itWith } from '../helpers/env.js';
import { waitFor } from '../helpers/pg.js';
import { run } from '../helpers/proc.js';
import { closePam, configurePam, pamAuthenticate, pamThreadCount, type PamOutcome } from '../../src/pam/index.js';
import { openLibpam, type PamBinding } from '../../src/pam/binding.js';
import { PAM_RESULT_NAMES } from '../../src/pam/codes.js';
import { PamWorkerPool } from '../../src/pam/pool.js';
import { mallinfoMissing, mallocInUse } from './malloc.js';
import { ALICE_PASSWORD, allStarted, makePamStacks, pamModulesMissing, releaseGates, type PamStacks } from './stacks.js';

const pbkdf2Async = promisify(pbkdf2);

describeWith(pamModulesMissing(), 'pamAuthenticate with pam_exec stacks', () => {
  let stacks: PamStacks;
  const auth = (service: string, user: string, password: string, extra: { rhost?: string } = {}) =>
    pamAuthenticate({ service, user, password, confdir: stacks.dir, ...extra });

  beforeAll(() => {
    stacks = makePamStacks();
  });
  afterEach(() => configurePam({ maxConcurrent: 8, maxQueue: 1024, failDelay: true, idleMs: 30_000 }));
  afterAll(async () => {
    await closePam();
    stacks.remove();
  });

  it('accepts the right password: start, authenticate and acct_mgmt all PAM_SUCCESS', async () => {
    const o = await auth('svc-ok', 'alice', ALICE_PASSWORD);
    expect(o.ok).toBe(true);
    expect(o.result).toBe('PAM_SUCCESS');
    expect(o.text).toBe('Success');
    expect(o.configError).toBe(false);
    expect(o.steps.map((s) => [s.step, s.result])).toEqual([
      ['start', 'PAM_SUCCESS'],
      ['authenticate', 'PAM_SUCCESS'],
      ['acct_mgmt', 'PAM_SUCCESS'],
    ]);
    // pam_exec asks for the password once, with echo off.
    expect(o.messages).toEqual([{ style: 'prompt-echo-off', text: 'Password: ' }]);
    expect(o.delayMs).toBe(0);
  });

  it('refuses a wrong password, an empty one, and the right password of another user', async () => {
    for (const [user, pw] of [
      ['alice', 'wrong'],
      ['alice', ''],
      ['bob', ALICE_PASSWORD],
    ] as const) {
      const o = await auth('svc-ok', user, pw);
      expect(o.ok, `${user}/${pw}`).toBe(false);
      expect(o.result).toBe('PAM_AUTH_ERR');
      expect(o.text).toBe('Authentication failure');
      expect(o.configError).toBe(false);
      expect(o.steps.map((s) => s.step)).toEqual(['start', 'authenticate']); // acct_mgmt never runs
    }
  });

  it('refuses a correct password when the account stack denies (pam_access -:ALL:ALL)', async () => {
    const alice = await auth('svc-acct-deny', 'alice', ALICE_PASSWORD);
    expect(alice.ok).toBe(false);
    expect(alice.steps.map((s) => [s.step, s.result])[1]).toEqual(['authenticate', 'PAM_SUCCESS']);
    expect(alice.steps[2]?.step).toBe('acct_mgmt');
    expect(alice.steps[2]?.result).not.toBe('PAM_SUCCESS'); // PAM_USER_UNKNOWN: alice is not in /etc/passwd
    expect(alice.configError).toBe(false);
    // root exists, so pam_access reaches its rule.
    const root = await auth('svc-acct-deny', 'root', 'pw-root');
    expect(root.ok).toBe(false);
    expect(root.result).toBe('PAM_PERM_DENIED');
    expect(root.text).toBe('Permission denied');
  });

  it('reports an unknown service and a missing module as configuration errors', async () => {
    const unknown = await auth('no-such-service', 'alice', ALICE_PASSWORD);
    expect(unknown).toMatchObject({ ok: false, result: 'PAM_ABORT', configError: true });
    expect(unknown.steps).toEqual([expect.objectContaining({ step: 'start', result: 'PAM_ABORT' })]);

    const missing = await auth('svc-nomodule', 'alice', ALICE_PASSWORD);
    expect(missing).toMatchObject({ ok: false, result: 'PAM_MODULE_UNKNOWN', text: 'Module is unknown', configError: true });

    const missingAcct = await auth('svc-nomodule-acct', 'alice', ALICE_PASSWORD);
    expect(missingAcct).toMatchObject({ ok: false, result: 'PAM_MODULE_UNKNOWN', configError: true });
    expect(missingAcct.steps.map((s) => s.step)).toEqual(['start', 'authenticate', 'acct_mgmt']);

    const noDir = await pamAuthenticate({ service: 'svc-ok', user: 'alice', password: ALICE_PASSWORD, confdir: `${stacks.dir}/nowhere` });
    expect(noDir).toMatchObject({ ok: false, result: 'PAM_ABORT', configError: true });
  });

  it('without a confdir uses the system configuration through pam_start (pam_unix refuses an unknown user)', async () => {
    const o = await pamAuthenticate({ service: 'pgauth-test-no-such-service', user: 'pgauth-no-such-user', password: 'whatever-pw' });
    expect(o.ok).toBe(false);
    expect(o.steps[0]).toMatchObject({ step: 'start', result: 'PAM_SUCCESS' }); // /etc/pam.d/other
    expect(o.steps[1]?.step).toBe('authenticate');
    expect(o.configError).toBe(false);
    const debianOther = existsSync('/etc/pam.d/common-auth') && readFileSync('/etc/pam.d/common-auth', 'utf8').includes('pam_unix.so');
    if (debianOther) {
      // pam_unix asks for a ~2 s failure delay: libpam hands it to us instead of sleeping on the thread.
      expect(o.delayMs).toBeGreaterThan(200);
      expect(o.ms).toBeGreaterThanOrEqual(o.delayMs);
    }
  });

  it('keeps only the last path component of a service name (no directory traversal)', async () => {
    const o = await auth('../elsewhere/svc-ok', 'alice', ALICE_PASSWORD);
    expect(o.ok).toBe(true);
  });

  it('records error and info messages from the stack', async () => {
    const o = await auth('svc-messages', 'alice', 'wrong');
    expect(o.ok).toBe(false);
    expect(o.messages).toContainEqual({ style: 'info', text: 'hello from pam_echo' });
    expect(o.messages).toContainEqual({ style: 'prompt-echo-off', text: 'Password: ' });
    expect(o.messages.some((m) => m.style === 'error' && /check\.sh failed: exit code 1/.test(m.text))).toBe(true);
  });

  it('never records the password, even when a module echoes it back', async () => {
    const password = 'Tr0ub4dor&3-horse';
    const o = await auth('svc-echo-password', 'alice', password);
    expect(o.ok).toBe(true);
    expect(o.messages).toContainEqual({ style: 'info', text: 'module saw password *** for alice' });
    expect(JSON.stringify(o)).not.toContain(password);
  });

  it('passes the client address as PAM_RHOST', async () => {
    expect((await auth('svc-rhost', 'alice', 'x', { rhost: '192.0.2.7' })).ok).toBe(true);
    const none = await auth('svc-rhost', 'alice', 'x');
    expect(none.ok).toBe(false);
    expect(none.result).toBe('PAM_SYSTEM_ERR'); // pam_exec's answer to a non-zero exit
  });

  it('refuses requests that cannot be given to libpam, without running PAM', async () => {
    const nul = await auth('svc-ok', 'alice', `${ALICE_PASSWORD}\0tail`);
    expect(nul).toMatchObject({ ok: false, result: 'PGAUTH_INVALID_REQUEST', configError: false, steps: [] });
    expect(nul.text).not.toContain(ALICE_PASSWORD);
    expect(await auth('svc-ok', 'alice\0root', 'x')).toMatchObject({ ok: false, result: 'PGAUTH_INVALID_REQUEST', configError: false });
    expect(await auth('svc-ok', '', 'x')).toMatchObject({ ok: false, result: 'PGAUTH_INVALID_REQUEST' });
    expect(await auth('svc-ok', 'alice', 'x'.repeat(70_000))).toMatchObject({ ok: false, result: 'PGAUTH_INVALID_REQUEST' });
    expect(await auth('svc\0ok', 'alice', 'x')).toMatchObject({ ok: false, result: 'PGAUTH_INVALID_REQUEST', configError: true });
  });

  it('takes the failure delay over from libpam and applies it without holding a thread', async () => {
    const right = await auth('svc-delay', 'alice', ALICE_PASSWORD);
    expect(right).toMatchObject({ ok: true, delayMs: 0 });

    // One thread only. A failure's delay is waited out after the thread is free again: the login
    // queued behind it (held in svc-gate until the test opens the gate) enters PAM while the
    // failure has not been answered yet. Were the delay slept on the thread, it could not.
    configurePam({ maxConcurrent: 1 });
    let failureAnswered = false;
    const failure = auth('svc-delay', 'alice', 'wrong').then((o) => ((failureAnswered = true), o));
    const behind = auth('svc-gate', 'd1', 'pw-d1');
    await waitFor(() => allStarted(stacks.dir, ['d1']), 'the queued login inside PAM');
    expect(failureAnswered).toBe(false);
    await releaseGates(stacks.dir, ['d1']);
    expect((await behind).ok).toBe(true);
    const o = await failure;
    expect(o.result).toBe('PAM_AUTH_ERR');
    // libpam randomises around the 1 s asked for by pam_faildelay; we waited it out before answering.
    expect(o.delayMs).toBeGreaterThan(200);
    expect(o.delayMs).toBeLessThan(3000);
    expect(o.ms).toBeGreaterThanOrEqual(o.delayMs);
    // (How long each step took is measured in bench/timing.bench.ts.)

    configurePam({ failDelay: false });
    const noDelay = await auth('svc-delay', 'alice', 'wrong');
    expect(noDelay).toMatchObject({ ok: false, delayMs: 0 });
  });

  it('keeps the event loop and the libuv threadpool free while 8 logins are held inside PAM', async () => {
    configurePam({ maxConcurrent: 8 });
    const users = Array.from({ length: 8 }, (_, i) => `g${i}`);
    let answered = 0;
    const logins = Promise.all(users.map((u) => auth('svc-gate', u, `pw-${u}`).then((o) => (answered++, o))));
    try {
      // All eight inside the module at once: eight threads side by side.
      await waitFor(() => allStarted(stacks.dir, users), 'eight PAM logins in progress');
      // File reads and crypto (the libuv threadpool) and timers (the event loop) still run meanwhile.
      expect((await readFile(new URL(import.meta.url), 'utf8')).length).toBeGreaterThan(0);
      const keys = await Promise.all([1, 2, 3, 4].map((i) => pbkdf2Async('pw', `salt${i}`, 1000, 32, 'sha256')));
      expect(keys.map((k) => k.length)).toEqual([32, 32, 32, 32]);
      expect(answered).toBe(0); // none could finish: their gates are closed
    } finally {
      await releaseGates(stacks.dir, users);
    }
    expect((await logins).every((o) => o.ok)).toBe(true);
    // (Event-loop gaps and how long the file read and hashes took: bench/timing.bench.ts.)
  });

  it('drops a queued login whose caller gave up (AbortSignal); one already on a thread runs to its end', async () => {
    await closePam(); // no idle threads left over from earlier tests
    configurePam({ maxConcurrent: 1 });
    const running = auth('svc-slow', 'c0', 'pw-c0');
    await waitFor(() => existsSync(join(stacks.dir, 'started-c0')), 'the first login inside the slow module');
    const gaveUp = new AbortController();
    const queued = pamAuthenticate({ service: 'svc-slow', user: 'c1', password: 'pw-c1', confdir: stacks.dir, signal: gaveUp.signal });
    gaveUp.abort();
    const dropped = await queued;
    expect(dropped).toMatchObject({ ok: false, result: 'PGAUTH_CANCELLED' });
    expect(existsSync(join(stacks.dir, 'started-c0'))).toBe(true);
    expect((await running).ok).toBe(true); // the running one was not disturbed
    const already = new AbortController();
    already.abort();
    expect((await pamAuthenticate({ service: 'svc-ok', user: 'alice', password: ALICE_PASSWORD, confdir: stacks.dir, signal: already.signal })).result).toBe('PGAUTH_CANCELLED');
    expect((await auth('svc-slow', 'c2', 'pw-c2')).ok).toBe(true);
    expect(existsSync(join(stacks.dir, 'started-c1'))).toBe(false);
  });

  it('caps concurrent transactions and bounds the queue', async () => {
    await closePam();
    configurePam({ maxConcurrent: 3 });
    let maxThreads = 0;
    const sample = setInterval(() => (maxThreads = Math.max(maxThreads, pamThreadCount())), 1);
    const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => auth('svc-ok', `u${i}`, `pw-u${i}`)));
    clearInterval(sample);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(maxThreads).toBeLessThanOrEqual(3);
    expect(pamThreadCount()).toBeLessThanOrEqual(3);

    configurePam({ maxConcurrent: 1, maxQueue: 2 });
    await closePam();
    const burst = await Promise.all(Array.from({ length: 5 }, (_, i) => auth('svc-ok', `u${i}`, `pw-u${i}`)));
    // One running, two waiting, two refused at once (never a success).
    expect(burst.filter((o) => o.result === 'PGAUTH_BUSY')).toHaveLength(2);
    expect(burst.filter((o) => o.ok)).toHaveLength(3);

    // No waiting at all: a free thread still takes the login, a second one at once is refused.
    configurePam({ maxConcurrent: 1, maxQueue: 0 });
    expect((await auth('svc-ok', 'alice', ALICE_PASSWORD)).ok).toBe(true);
    const pair = await Promise.all([auth('svc-ok', 'u1', 'pw-u1'), auth('svc-ok', 'u2', 'pw-u2')]);
    expect(pair.map((o) => o.result)).toEqual(['PAM_SUCCESS', 'PGAUTH_BUSY']);
  });

  it('stops idle threads, and starts them again for the next login', async () => {
    await closePam();
    configurePam({ idleMs: 50 });
    const first = await Promise.all([0, 1, 2].map((i) => auth('svc-ok', `u${i}`, `pw-u${i}`)));
    expect(first.every((o) => o.ok)).toBe(true);
    expect(pamThreadCount()).toBeGreaterThan(0);
    await waitFor(() => pamThreadCount() === 0, 'idle PAM threads to stop', 5000);
    expect((await auth('svc-ok', 'alice', ALICE_PASSWORD)).ok).toBe(true);
  });

  it('a worker thread that cannot start fails the login, never succeeds', async () => {
    const broken = new PamWorkerPool(new URL('file:///nonexistent/pgauth/worker.js'), { maxThreads: 2, maxQueue: 10, idleMs: 1000 });
    const replies = await Promise.all([1, 2, 3].map(() => broken.run({ service: 'svc-ok', user: 'alice', password: ALICE_PASSWORD })));
    expect(replies.map((r) => r.kind)).toEqual(['failed', 'failed', 'failed']);
    await broken.close();
  });

  it('a `node -e` process exits at once, with its exit code, while a PAM module is stuck (regression: threads inherited -e CODE and re-ran it)', async () => {
    const index = new URL('../../dist/pam/index.js', import.meta.url).href;
    const code = [
      `import { pamAuthenticate } from ${JSON.stringify(index)};`,
      `import { existsSync } from 'node:fs';`,
      `void pamAuthenticate({ service: 'svc-hang', user: 'stuck', password: 'x', confdir: ${JSON.stringify(stacks.dir)} });`,
      `const t = setInterval(() => { if (existsSync(${JSON.stringify(join(stacks.dir, 'hang-started-stuck'))})) { clearInterval(t); process.exit(7); } }, 10);`,
    ].join('\n');
    // The module sleeps 60 s: a process that waited for it is killed at 30 s (code null, not 7).
    const r = await run(process.execPath, ['--input-type=module', '-e', code], { timeoutMs: 30_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(7);
  });

  it('1,000 sequential logins: no crash, no mix-up of users, bounded memory', async () => {
    const expectOk = (i: number) => i % 3 !== 0;
    const one = async (i: number) => {
      const user = `u${i % 10}`;
      const password = expectOk(i) ? `pw-${user}` : `pw-u${(i + 1) % 10}`; // wrong: another user's password
      const o = await auth('svc-ok', user, password);
      if (o.ok !== expectOk(i)) throw new Error(`login ${i} (${user}): expected ok=${expectOk(i)}, got ${o.result}`);
    };
    for (let i = 0; i < 100; i++) await one(i); // warm up: threads started, modules loaded
    const before = process.memoryUsage().rss;
    const mallocBefore = mallocInUse();
    for (let i = 100; i < 1000; i++) await one(i);
    const growth = (process.memoryUsage().rss - before) / 1024 / 1024;
    expect(growth).toBeLessThan(40);
    // RSS moves by megabytes with V8's heaps and would not see a few KiB per login. malloc()ed
    // bytes would: a handle left without pam_end leaks about 2.3 KiB per login here (2 MiB in all).
    if (mallocBefore !== null) {
      const leakedKiB = (mallocInUse()! - mallocBefore) / 1024;
      expect(leakedKiB).toBeLessThan(1024); // measured: under 200 KiB either way
    }
  }, 150_000); // about 8 s alone; each login forks a shell, which is slow on a loaded machine

  it('200 concurrent logins: every user gets their own answer, bounded memory', async () => {
    const burst = async () => {
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const user = `u${i}`;
          const right = i % 2 === 0;
          const o: PamOutcome = await auth('svc-ok', user, right ? `pw-${user}` : `pw-u${i + 1}`);
          return { i, right, o };
        }),
      );
      const wrong = outcomes.filter(({ right, o }) => o.ok !== right);
      expect(wrong.map(({ i, o }) => `${i}: ${o.result}`)).toEqual([]);
      expect(outcomes.filter(({ o }) => o.ok)).toHaveLength(100);
    };
    await burst(); // every thread of the pool started and warm
    // A leak grows in every window; a one-off (glibc growing an arena for a thread that ran
    // late on a loaded machine) shows in one only. So: two windows of 400 logins, the smaller.
    const windows: number[] = [];
    for (let w = 0; w < 2; w++) {
      const before = mallocInUse();
      await burst();
      await burst();
      if (before !== null) windows.push((mallocInUse()! - before) / 1024);
    }
    if (windows.length > 0) expect(Math.min(...windows)).toBeLessThan(512); // a handle left without pam_end: about 1.2 MiB per 400
  }, 120_000);
});

describeWith(pamModulesMissing(), 'the PAM conversation, called through its C pointer', () => {
  let pam: PamBinding;
  const job = { service: 'x', user: 'alice', password: 'pw-multi' };
  beforeAll(() => {
    pam = openLibpam();
  });

  it('answers every message style: password to echo-off, user to echo-on, nothing to error and info', () => {
    const r = pam.converse(job, [
      { style: 4, text: 'welcome' },
      { style: 1, text: 'Password: ' },
      { style: 2, text: 'login: ' },
      { style: 3, text: 'an error' },
    ]);
    expect(r.rc).toBe(0);
    expect(r.responses).toEqual([null, 'pw-multi', 'alice', null]);
    expect(r.messages).toEqual([
      { style: 'info', text: 'welcome' },
      { style: 'prompt-echo-off', text: 'Password: ' },
      { style: 'prompt-echo-on', text: 'login: ' },
      { style: 'error', text: 'an error' },
    ]);
  });

  it('never answers PAM_SUCCESS by accident', () => {
    const CONV_ERR = PAM_RESULT_NAMES.indexOf('PAM_CONV_ERR');
    // appdata that belongs to no transaction
    expect(pam.converse(null, [{ style: 1, text: 'Password: ' }])).toMatchObject({ rc: CONV_ERR, responses: null });
    // binary prompt and radio styles have no answer
    expect(pam.converse(job, [{ style: 7, text: 'x' }]).rc).toBe(CONV_ERR);
    expect(pam.converse(job, [{ style: 1, text: 'Password: ' }, { style: 5, text: 'x' }])).toMatchObject({ rc: CONV_ERR, responses: null });
    // no messages, or more than Linux-PAM's PAM_MAX_NUM_MSG
    expect(pam.converse(job, []).rc).toBe(CONV_ERR);
    expect(pam.converse(job, Array.from({ length: 33 }, () => ({ style: 4, text: 'x' }))).rc).toBe(CONV_ERR);
    // an exception inside the callback (koffi would return 0 == PAM_SUCCESS)
    const throwing = { ...job, user: Symbol('not a string') as unknown as string };
    expect(pam.converse(throwing, [{ style: 2, text: 'login: ' }]).rc).toBe(CONV_ERR);
    // an empty password is refused, as PostgreSQL does
    expect(pam.converse({ ...job, password: '' }, [{ style: 1, text: 'Password: ' }]).rc).toBe(CONV_ERR);
  });

  itWith(mallinfoMissing(), 'leaves no C memory behind, whether it answers or refuses', () => {
    const CONV_ERR = PAM_RESULT_NAMES.indexOf('PAM_CONV_ERR');
    // Each refusal allocates the response array and a strdup()ed answer before it refuses; PAM
    // frees them only on PAM_SUCCESS (converse() frees the answers of a success, as PAM does).
    const cases: [typeof job, { style: number; text: string | null }[], number][] = [
      [job, [{ style: 4, text: 'welcome' }, { style: 1, text: 'Password: ' }], 0],
      [job, [{ style: 1, text: 'Password: ' }, { style: 5, text: 'radio' }], CONV_ERR],
      [{ ...job, password: '' }, [{ style: 2, text: 'login: ' }, { style: 1, text: 'Password: ' }], CONV_ERR],
      // strdup(Symbol) throws inside the callback after the password was strdup()ed
      [{ ...job, user: Symbol('not a string') as unknown as string }, [{ style: 1, text: 'Password: ' }, { style: 2, text: 'login: ' }], CONV_ERR],
    ];
    const round = (): number => {
      const before = mallocInUse();
      for (const [j, msgs, rc] of cases) {
        for (let i = 0; i < 5000; i++) {
          const r = pam.converse(j, msgs);
          if (r.rc !== rc || (rc !== 0 && r.responses !== null)) throw new Error(`call ${i}: rc ${r.rc}, expected ${rc}`);
        }
      }
      return (mallocInUse()! - before!) / 1024;
    };
    round(); // warm up
    // A leak grows every round; other threads of this process allocate now and then, so the
    // smallest of three rounds is the leak. An answer and array left behind per refusal is about
    // 1.1 MiB a round; koffi 3.3's decode(ptr, type, length) alone left 18 bytes a call (350 KiB).
    const rounds = [round(), round(), round()];
    expect(Math.min(...rounds)).toBeLessThan(128);
  });

  it('survives a NULL message text and many calls', () => {
    expect(pam.converse(job, [{ style: 1, text: null }])).toMatchObject({ rc: 0, responses: ['pw-multi'] });
    for (let i = 0; i < 2000; i++) expect(pam.converse(job, [{ style: 1, text: 'Password: ' }]).rc).toBe(0);
  });
});
