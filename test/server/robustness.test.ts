/**
 * Robustness and operations of `pgauth serve`, with raw protocol bytes:
 * absurd lengths, random bytes, garbage, pipelining after SSLRequest,
 * timeouts, connection limits, the mock SCRAM salt, auth_delay, reload,
 * shutdown, protocol negotiation, and no secret in the log.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScramClient } from '../../src/scram/index.js';
import { buildScramSecret } from '../../src/secrets/index.js';
import { connectPg, psqlMissing, runPsql } from '../helpers/clients.js';
import { describeWith } from '../helpers/env.js';
import { waitFor } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { PASSWORD, writeRoles } from './roles.js';
import { startServe, type Served } from '../helpers/serve.js';
import { RawClient, errorOf } from './wire.js';

const tmp = tempDir('pgauth-serve-robust-');
const rolesPath = writeRoles(tmp.path);
afterAll(() => tmp.remove());

const i32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};

/** A deterministic byte generator (xorshift), so a failure can be replayed. */
function pseudoRandom(seed: number, n: number): Buffer {
  let x = seed || 1;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

const login = (port: number, user = 'alice', password = PASSWORD) => connectPg({ port, user, password, database: 'd' });

/** A session that still works proves one client's bad bytes did not affect others. */
async function stillServes(port: number) {
  const c = await login(port);
  expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  await c.end();
}

describe('pgauth serve robustness', () => {
  let s: Served;
  beforeAll(async () => {
    s = await startServe(['--auth', 'scram-sha-256', '--roles', rolesPath, '--tls-self-signed']);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('closes on a 100000-byte startup packet without reading it', async () => {
    const c = await RawClient.connect(s.port);
    c.write(Buffer.concat([i32(100004), i32(196608), Buffer.alloc(2000, 0x41)]));
    expect((await c.drain()).map((e) => e.type)).toEqual(['close']);
    await s.waitForLine((l) => l.event === 'attempt' && String(l.detail).startsWith('invalid length of startup packet'), 'the log line');
    await stillServes(s.port);
  });

  it('closes on a negative length and on lengths under 8', async () => {
    for (const len of [-1, -2147483648, 0, 3, 7]) {
      const c = await RawClient.connect(s.port);
      c.write(Buffer.concat([i32(len), i32(196608)]));
      expect((await c.drain()).map((e) => e.type)).toEqual(['close']);
    }
    await stillServes(s.port);
  });

  it('answers random bytes with FATAL 08P01 or a close, never anything else', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const c = await RawClient.connect(s.port);
      c.write(pseudoRandom(seed, 512));
      const events = await c.drain();
      const types = events.map((e) => e.type);
      expect(types.at(-1)).toBe('close');
      for (const e of events) {
        if (e.type === 'ErrorResponse') expect(['08P01', '0A000', '28000']).toContain(e.fields.code);
        else expect(['close', 'byte', 'NegotiateProtocolVersion', 'AuthenticationSASL']).toContain(e.type);
      }
    }
    await stillServes(s.port);
  });

  it('answers garbage after a valid startup with FATAL 08P01', async () => {
    const c = await RawClient.connect(s.port);
    c.startup('alice');
    await c.until('AuthenticationSASL');
    c.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    const err = errorOf(await c.drain());
    expect(err?.fields).toMatchObject({ severity: 'FATAL', code: '08P01' });
    expect(err?.fields.message).toMatch(/^(expected SASL response, got message type 71|invalid message length)/);
    // a huge length during authentication is refused without buffering it
    const d = await RawClient.connect(s.port);
    d.startup('alice');
    await d.until('AuthenticationSASL');
    d.write(Buffer.concat([Buffer.from('p'), i32(50_000_000)]));
    expect(errorOf(await d.drain())?.fields).toMatchObject({ code: '08P01' });
    await stillServes(s.port);
  });

  it('refuses bytes pipelined after SSLRequest (CVE-2021-23214)', async () => {
    const c = await RawClient.connect(s.port);
    c.expectByte();
    const startup = Buffer.concat([i32(8), i32(80877103), i32(9), i32(196608), Buffer.from([0])]);
    c.write(startup);
    const events = await c.drain();
    expect(events[0]).toEqual({ type: 'byte', value: 'S' });
    expect(errorOf(events)?.fields).toMatchObject({
      code: '08P01',
      message: 'received unencrypted data after SSL request',
      detail: 'This could be either a client-software bug or evidence of an attempted man-in-the-middle attack.',
    });
    await stillServes(s.port);
  });

  it('answers GSSENCRequest with N, then a second SSLRequest as PostgreSQL does', async () => {
    const c = await RawClient.connect(s.port);
    c.expectByte();
    c.write({ type: 'GSSENCRequest' });
    expect(await c.next()).toEqual({ type: 'byte', value: 'N' });
    c.startup('alice');
    expect((await c.until('AuthenticationSASL')).mechanisms).toEqual(['SCRAM-SHA-256']);
    c.end();
    const noTls = await startServe(['--auth', 'trust', '--roles', rolesPath]);
    try {
      const d = await RawClient.connect(noTls.port);
      d.expectByte();
      d.write({ type: 'SSLRequest' });
      expect(await d.next()).toEqual({ type: 'byte', value: 'N' });
      d.write({ type: 'SSLRequest' });
      // The default --server-version is 18.0, which speaks 3.0 to 3.2 (17 and older: "3.0 to 3.0", test/server/protocol.test.ts).
      expect(errorOf(await d.drain())?.fields).toMatchObject({ code: '0A000', message: 'unsupported frontend protocol 1234.5679: server supports 3.0 to 3.2' });
    } finally {
      await noTls.stop();
    }
  });

  it('accepts a CancelRequest harmlessly and closes', async () => {
    const c = await RawClient.connect(s.port);
    c.write({ type: 'CancelRequest', processId: 1234, secretKey: Buffer.from([1, 2, 3, 4]) });
    expect((await c.drain()).map((e) => e.type)).toEqual(['close']);
    await s.waitForLine((l) => l.event === 'attempt' && l.result === 'cancel', 'the cancel line');
  });

  it('answers a StartupMessage without a user name with 28000 (protocol versions: test/server/protocol.test.ts)', async () => {
    const nouser = await RawClient.connect(s.port);
    nouser.write({ type: 'StartupMessage', major: 3, minor: 0, parameters: [['database', 'd']] });
    expect(errorOf(await nouser.drain())?.fields).toMatchObject({ code: '28000', message: 'no PostgreSQL user name specified in startup packet' });
  });

  it('keeps serving during a flood of idle connections and beside a client that sends one byte at a time', async () => {
    const idle = await Promise.all(Array.from({ length: 80 }, () => RawClient.connect(s.port)));
    const slow = await RawClient.connect(s.port);
    const body = Buffer.concat([i32(196608), Buffer.from('user\0alice\0\0')]);
    const bytes = Buffer.concat([i32(body.length + 4), body]);
    const drip = async (part: Buffer) => {
      for (const b of part) {
        slow.write(Buffer.from([b]));
        await new Promise((r) => setImmediate(r));
      }
    };
    // Half the startup packet one byte at a time; another client logs in and queries while the
    // slow one is stuck mid-packet; then the rest. (The login's time beside it: bench/timing.bench.ts.)
    await drip(bytes.subarray(0, 10));
    await stillServes(s.port);
    await drip(bytes.subarray(10));
    expect((await slow.until('AuthenticationSASL')).mechanisms).toEqual(['SCRAM-SHA-256']);
    slow.end();
    for (const c of idle) c.end();
  });

  it("gives an unknown role a stable mock salt and the real iteration count", async () => {
    const serverFirst = async (user: string) => {
      const c = await RawClient.connect(s.port);
      c.startup(user);
      await c.until('AuthenticationSASL');
      c.write({ type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256', data: Buffer.from('n,,n=,r=abcdefghijklmnop') });
      const cont = await c.until('AuthenticationSASLContinue');
      c.end();
      return Object.fromEntries(cont.data.toString().split(',').map((kv) => [kv[0], kv.slice(2)])) as Record<string, string>;
    };
    const a = await serverFirst('nobody');
    const b = await serverFirst('nobody');
    const other = await serverFirst('somebody-else');
    const real = await serverFirst('alice');
    expect(a.s).toBe(b.s);
    expect(Buffer.from(a.s!, 'base64')).toHaveLength(16);
    expect(other.s).not.toBe(a.s);
    expect(a.i).toBe('4096');
    expect(a.i).toBe(real.i);
    expect(a.r).not.toBe(b.r); // the server nonce is fresh every time
  });

  it('never writes the password, the proof or the stored keys to the log', async () => {
    // A complete SCRAM exchange with a known proof, a wrong one, and a cleartext password.
    const client = createScramClient({ password: PASSWORD, channelBinding: { mode: 'none' }, nonce: 'fixedclientnonceforthetest' });
    const c = await RawClient.connect(s.port);
    c.startup('alice');
    await c.until('AuthenticationSASL');
    c.write({ type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256', data: Buffer.from(client.clientFirstMessage()) });
    const cont = await c.until('AuthenticationSASLContinue');
    const final = client.handleServerFirst(cont.data.toString());
    const proof = /p=([^,]+)$/.exec(final)![1]!;
    c.write({ type: 'SASLResponse', data: Buffer.from(final) });
    const fin = await c.until('AuthenticationSASLFinal');
    client.verifyServerFinal(fin.data.toString());
    await c.until('ReadyForQuery');
    c.end();
    const bad = await login(s.port, 'alice', 'wrong-password-123').catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: '28P01' });
    const pw = await startServe(['--auth', 'password', '--roles', rolesPath, '--log-format', 'text']);
    try {
      await (await login(pw.port, 'pat')).end();
      await login(pw.port, 'pat', 'wrong-password-456').catch(() => undefined);
      await pw.waitForLine((l) => l.event === 'unparsed' && String(l.text).includes('result=rejected'), 'the text line');
      const stored = buildScramSecret(PASSWORD); // a secret's shape; the real keys come from the role file
      const roleFile = readFileSync(rolesPath, 'utf8');
      const keys = [...roleFile.matchAll(/\$([A-Za-z0-9+/=]{44}):([A-Za-z0-9+/=]{44})/g)].flatMap((m) => [m[1]!, m[2]!]);
      const logs = s.stdout() + s.stderr() + pw.stdout() + pw.stderr();
      expect(logs).toContain('password authentication failed');
      for (const secret of [PASSWORD, proof, 'wrong-password-123', 'wrong-password-456', ...keys, stored.split('$')[2]!]) {
        expect(logs.includes(secret), `log contains ${secret}`).toBe(false);
      }
    } finally {
      await pw.stop();
    }
  });
});

describe('limits: --auth-timeout, --max-connections, --auth-delay', () => {
  let s: Served;
  beforeAll(async () => {
    // --auth-timeout leaves room for a SCRAM exchange plus the 300 ms --auth-delay on a busy machine
    // (at 400 ms the timeout closed the delayed failure first: "Connection terminated unexpectedly").
    s = await startServe(['--auth', 'scram-sha-256', '--roles', rolesPath, '--auth-timeout', '1500ms', '--max-connections', '3', '--auth-delay', '300']);
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('drops an idle client at --auth-timeout', async () => {
    const t0 = Date.now();
    const c = await RawClient.connect(s.port);
    expect((await c.drain(5000)).map((e) => e.type)).toEqual(['close']);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    const c2 = await RawClient.connect(s.port);
    c2.startup('alice'); // started but never finished authenticating
    await c2.until('AuthenticationSASL');
    expect((await c2.drain(5000)).map((e) => e.type)).toEqual(['close']);
    await s.waitForLine((l) => l.event === 'attempt' && l.result === 'timeout' && l.user === 'alice', 'the timeout line');
  });

  it('gives the client past --max-connections 53300', async () => {
    const held = [await login(s.port), await login(s.port), await login(s.port)];
    try {
      const err = await login(s.port).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: '53300', message: 'sorry, too many clients already' });
    } finally {
      await Promise.all(held.map((c) => c.end()));
    }
    await waitFor(async () => {
      const c = await login(s.port).catch(() => undefined);
      await c?.end();
      return c !== undefined;
    }, 'a free slot again');
  });

  it('--auth-delay 300 makes a failure take >= 300 ms without delaying other clients', async () => {
    const t0 = Date.now();
    const failing = login(s.port, 'alice', 'wrong').catch((e: unknown) => e);
    // While the failure waits, another client logs in and queries.
    const c = await login(s.port);
    await c.query('SELECT 1');
    await c.end();
    expect(await failing).toMatchObject({ code: '28P01' });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);
  });

  it('a failure waiting out --auth-delay holds up no one (a long delay, so a loaded machine cannot blur it)', async () => {
    const slow = await startServe(['--auth', 'scram-sha-256', '--roles', rolesPath, '--auth-delay', '600000']);
    try {
      const raw = await RawClient.connect(slow.port);
      const client = createScramClient({ password: 'wrong', channelBinding: { mode: 'none' } });
      raw.startup('alice');
      await raw.until('AuthenticationSASL');
      raw.write({ type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256', data: Buffer.from(client.clientFirstMessage()) });
      const cont = await raw.until('AuthenticationSASLContinue');
      raw.write({ type: 'SASLResponse', data: Buffer.from(client.handleServerFirst(cont.data.toString())) });
      // the failure is now waiting; others log in, query and leave meanwhile
      for (let i = 0; i < 3; i++) {
        const c = await login(slow.port);
        expect((await c.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
        await c.end();
      }
      await expect(raw.next(50)).rejects.toThrow(/timed out/); // still no answer for the failing client
      raw.end();
      const line = await slow.waitForLine((l) => l.event === 'attempt' && l.result === 'rejected', 'the failure, logged when the client left');
      expect(line).toMatchObject({ sqlstate: '28P01', user: 'alice' });
    } finally {
      await slow.stop();
    }
  });
});

describe('connections that never start up', () => {
  it('count against about twice --max-connections, as PostgreSQL\'s postmaster children do: beyond that, 53300 at once', async () => {
    const served = await startServe(['--auth', 'scram-sha-256', '--roles', rolesPath, '--max-connections', '2']);
    try {
      const silent = await Promise.all([1, 2, 3, 4].map(() => RawClient.connect(served.port)));
      const extra = await RawClient.connect(served.port);
      const events = await extra.drain(5000);
      expect(errorOf(events)?.fields).toMatchObject({ severity: 'FATAL', code: '53300', message: 'sorry, too many clients already' });
      expect(events.at(-1)?.type).toBe('close');
      await served.waitForLine((l) => l.event === 'attempt' && l.sqlstate === '53300', 'the refusal in the log');
      for (const c of silent) c.end();
      await waitFor(async () => {
        const c = await login(served.port).catch(() => undefined);
        await c?.end();
        return c !== undefined;
      }, 'a login once the silent connections are gone');
    } finally {
      await served.stop();
    }
  });
});

describe('--auth password with a costly SCRAM secret', () => {
  it('checks it off the event loop: another client logs in and queries while the hash runs', async () => {
    // About half a second of PBKDF2 here; done inline it would hold every other client up.
    const costly = join(tmp.path, 'costly.txt');
    writeFileSync(costly, `"slow" "${buildScramSecret(PASSWORD, { iterations: 1_000_000 })}"\n"alice" "${buildScramSecret(PASSWORD, { iterations: 4096 })}"\n`, { mode: 0o600 });
    const served = await startServe(['--auth', 'password', '--roles', costly]);
    try {
      const order: string[] = [];
      const raw = await RawClient.connect(served.port);
      raw.startup('slow');
      await raw.until('AuthenticationCleartextPassword');
      raw.write({ type: 'PasswordMessage', password: 'wrong' });
      const slowAnswer = raw.until('ErrorResponse').then((e) => {
        order.push('slow');
        return e;
      });
      const c = await login(served.port);
      await c.query('SELECT 1');
      await c.end();
      order.push('fast');
      expect((await slowAnswer).fields).toMatchObject({ code: '28P01' });
      expect(order).toEqual(['fast', 'slow']);
      raw.end();
    } finally {
      await served.stop();
    }
  });
});

describe('reload, Unix socket and shutdown', () => {
  const dir = tempDir('pgauth-serve-reload-');
  afterAll(() => dir.remove());

  it('reloads the role file on change and on SIGHUP; a broken file keeps the old roles', async () => {
    const path = writeRoles(dir.path);
    const s = await startServe(['--auth', 'scram-sha-256', '--roles', path]);
    try {
      await expect(login(s.port, 'dave')).rejects.toMatchObject({ code: '28P01' });
      const mark = s.lines.length;
      appendFileSync(path, `"dave" "${buildScramSecret(PASSWORD)}"\n`);
      await s.waitForLine((l) => l.event === 'reload' && l.ok === true, 'a reload after the change', mark);
      await (await login(s.port, 'dave')).end();

      const mark2 = s.lines.length;
      appendFileSync(path, '# a comment PgBouncer would choke on\n"erin" "x"\n');
      const line = await s.waitForLine((l) => l.event === 'reload' && l.ok === false, 'a failed reload', mark2);
      expect(String(line.error)).toMatch(/userlist\.txt:9: .*keeping the previous roles/);
      await (await login(s.port, 'dave')).end();
      await (await login(s.port, 'alice')).end();

      writeRoles(dir.path); // dave gone again
      const mark3 = s.lines.length;
      s.child.kill('SIGHUP');
      await s.waitForLine((l) => l.event === 'reload' && l.ok === true, 'a reload on SIGHUP', mark3);
      await expect(login(s.port, 'dave')).rejects.toMatchObject({ code: '28P01' });
    } finally {
      await s.stop();
    }
  });

  describeWith(psqlMissing(), 'Unix socket', () => {
    it('listens on DIR/.s.PGSQL.<port> and reports host "[local]"', async () => {
      const s = await startServe(['--auth', 'trust', '--roles', rolesPath, '--socket-dir', dir.path]);
      try {
        expect(s.lines[0]!.socket).toBe(join(dir.path, `.s.PGSQL.${s.port}`));
        const r = await runPsql(`host=${dir.path} port=${s.port} user=alice dbname=d`, 'SELECT current_user');
        expect(r.stdout).toBe('alice\n');
        const line = await s.waitForLine((l) => l.event === 'attempt' && l.peer === '[local]', 'the local attempt');
        expect(line.result).toBe('ok');
      } finally {
        await s.stop();
      }
      const t = await startServe(['--auth', 'scram-sha-256', '--roles', rolesPath, '--socket-dir', dir.path, '--tls-self-signed', '--require-tls']);
      try {
        const r = await runPsql(`host=${dir.path} port=${t.port} user=alice dbname=d`, 'SELECT 1');
        expect(r.stderr).toContain('no pg_hba.conf entry for host "[local]", user "alice", database "d", no encryption');
      } finally {
        await t.stop();
      }
    });
  });

  it('SIGTERM sends FATAL 57P01 to open sessions and exits 0', async () => {
    const s = await startServe(['--auth', 'scram-sha-256', '--roles', rolesPath]);
    const c = await RawClient.connect(s.port);
    const client = createScramClient({ password: PASSWORD, channelBinding: { mode: 'none' } });
    c.startup('alice');
    await c.until('AuthenticationSASL');
    c.write({ type: 'SASLInitialResponse', mechanism: 'SCRAM-SHA-256', data: Buffer.from(client.clientFirstMessage()) });
    const cont = await c.until('AuthenticationSASLContinue');
    c.write({ type: 'SASLResponse', data: Buffer.from(client.handleServerFirst(cont.data.toString())) });
    await c.until('ReadyForQuery');
    const code = s.stop('SIGTERM');
    const err = errorOf(await c.drain());
    expect(err?.fields).toMatchObject({ severity: 'FATAL', code: '57P01', message: 'terminating connection due to administrator command' });
    expect(await code).toBe(0);
  });
});

