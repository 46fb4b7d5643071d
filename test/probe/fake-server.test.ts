/**
 * Server behaviour PostgreSQL never shows, from a scripted peer built on the
 * shared codec: a wrong SCRAM server signature, AuthenticationOk before the
 * SCRAM exchange ends, -PLUS offered without TLS, GSSAPI, a hostile
 * iteration count. The probe must refuse each, naming the right diagnosis.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { serializeBackend, type BackendMessage } from '../../src/protocol/index.js';
import { fakePeer as fake, send, stopFakePeers } from './fake-peer.js';
import { resolveConnParams } from '../../src/probe/conninfo.js';
import { runProbe } from '../../src/probe/probe.js';

/** SCRAM up to the client-final; returns after reading it. */
async function scramUntilFinal(sock: Socket, next: () => Promise<Buffer>, iterations = 4096): Promise<void> {
  send(sock, { type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256'] });
  const initial = await next();
  const text = initial.toString('latin1');
  const nonce = /r=([^,\0]+)/.exec(text)![1]!;
  const serverFirst = `r=${nonce}srvnonce,s=${randomBytes(16).toString('base64')},i=${iterations}`;
  send(sock, { type: 'AuthenticationSASLContinue', data: Buffer.from(serverFirst) });
  await next();
}

let server: Server | undefined;
afterEach(() => {
  server?.close();
  stopFakePeers();
});

const probe = (port: number) =>
  runProbe({
    params: resolveConnParams({ target: `host=127.0.0.1 port=${port} sslmode=disable connect_timeout=5 user=alice dbname=db`, env: {}, osUser: 'u', home: '/nonexistent' }),
    password: { value: 'pw', source: 'test' },
  });

describe('the probe against misbehaving servers', () => {
  it('server-signature-invalid: a wrong v= in AuthenticationSASLFinal', async () => {
    const port = await fake(async (sock, next) => {
      await scramUntilFinal(sock, next);
      send(sock, { type: 'AuthenticationSASLFinal', data: Buffer.from(`v=${randomBytes(32).toString('base64')}`) }, { type: 'AuthenticationOk' });
    });
    const r = await probe(port);
    expect(r.diagnosis.code).toBe('server-signature-invalid');
    expect(r.error.message).toBe('incorrect server signature');
    expect(r.exit).toBe('rejected');
  });

  it('server-signature-invalid: AuthenticationOk before the SCRAM exchange completed', async () => {
    const port = await fake(async (sock, next) => {
      await scramUntilFinal(sock, next);
      send(sock, { type: 'AuthenticationOk' });
    });
    const r = await probe(port);
    expect(r.diagnosis.code).toBe('server-signature-invalid');
    expect(r.ok).toBe(false);
  });

  it('a hostile iteration count is refused before any PBKDF2 work', async () => {
    const port = await fake(async (sock, next) => scramUntilFinal(sock, next, 2_000_000_000));
    // 2e9 PBKDF2 rounds would take hours: an answer at all, and this one, shows none were run.
    const r = await probe(port);
    expect(r.diagnosis.code).toBe('protocol-error');
    expect(r.error.message).toMatch(/iterations/);
  });

  it('channel-binding-failed: SCRAM-SHA-256-PLUS offered without TLS (SSL stripping)', async () => {
    const port = await fake(async (sock) => {
      send(sock, { type: 'AuthenticationSASL', mechanisms: ['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256'] });
    });
    const r = await probe(port);
    expect(r.diagnosis.code).toBe('channel-binding-failed');
    expect(r.error.message).toBe('server offered SCRAM-SHA-256-PLUS authentication over a non-SSL connection');
  });

  it('auth-method-unsupported: GSSAPI is named, not attempted', async () => {
    const port = await fake(async (sock) => {
      send(sock, { type: 'AuthenticationGSS' });
    });
    const r = await probe(port);
    expect(r.diagnosis.code).toBe('auth-method-unsupported');
    expect(r.auth.method).toBe('gss');
  });

  it('server-starting (57P03) and server-shutting-down', async () => {
    for (const [message, code] of [
      ['the database system is starting up', 'server-starting'],
      ['the database system is shutting down', 'server-shutting-down'],
    ] as const) {
      const port = await fake(async (sock) => {
        send(sock, { type: 'ErrorResponse', fields: { severity: 'FATAL', code: '57P03', message } });
        sock.end();
      });
      const r = await probe(port);
      expect(r.diagnosis.code).toBe(code);
      expect(r.error.code).toBe('57P03');
      stopFakePeers();
    }
  });

  it('not-postgres: an SSH server greeting first (its "S" is not a yes to SSLRequest)', async () => {
    server = createServer((sock) => {
      sock.on('error', () => {});
      sock.write('SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n');
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    for (const sslmode of ['prefer', 'disable']) {
      const r = await runProbe({
        params: resolveConnParams({ target: `host=127.0.0.1 port=${port} sslmode=${sslmode} connect_timeout=5 user=a dbname=b`, env: {}, osUser: 'u', home: '/nonexistent' }),
      });
      expect(r.diagnosis.code, sslmode).toBe('not-postgres');
      expect(r.exit).toBe('unreachable');
    }
  });

  it('protocol-error: a flood of NoticeResponse during login is cut off (bounded input)', async () => {
    const notice: BackendMessage = { type: 'NoticeResponse', fields: { severity: 'NOTICE', code: '00000', message: 'n'.repeat(1000) } };
    const port = await fake(async (sock) => {
      send(sock, { type: 'AuthenticationOk' }, ...new Array<BackendMessage>(5000).fill(notice));
    });
    const r = await probe(port);
    expect(r.diagnosis.code).toBe('protocol-error');
    expect(r.error.message).toMatch(/more than 100 NoticeResponse/);
  });

  it('a Unix socket in the abstract namespace (host=@name, PostgreSQL 14+ on Linux)', async () => {
    const name = `pgauth-probe-${process.pid}-${Date.now()}`;
    const srv = createServer((sock) => {
      sock.on('error', () => {});
      sock.once('data', () => sock.end(serializeBackend({ type: 'ErrorResponse', fields: { severity: 'FATAL', code: '28000', message: 'role "alice" does not exist' } })));
    });
    await new Promise<void>((r) => srv.listen(`\0${name}/.s.PGSQL.5432`, r));
    try {
      const r = await runProbe({ params: resolveConnParams({ target: `host=@${name} connect_timeout=5 user=alice dbname=db`, env: {}, osUser: 'u', home: '/nonexistent' }) });
      expect(r.attempts).toHaveLength(1);
      expect(r.error.code).toBe('28000');
    } finally {
      srv.close();
    }
  });

  it('protocol-error: a query answer larger than 64 MiB is cut off (bounded input)', async () => {
    const row: BackendMessage = { type: 'DataRow', values: [Buffer.alloc(250 * 1024, 0x61)] };
    const port = await fake(async (sock, next) => {
      send(sock, { type: 'AuthenticationOk' }, { type: 'ReadyForQuery', status: 'I' });
      await next();
      const chunk = serializeBackend(...new Array<BackendMessage>(20).fill(row));
      for (let i = 0; i < 14 && !sock.destroyed; i++) {
        if (!sock.write(chunk)) await new Promise((r) => sock.once('drain', r));
      }
    });
    const r = await probe(port);
    expect(r.diagnosis.code).toBe('protocol-error');
    expect(r.error.message).toMatch(/bytes of rows/);
  });

  it('protocol-error: a message out of place after AuthenticationOk', async () => {
    const port = await fake(async (sock) => {
      send(sock, { type: 'AuthenticationOk' }, { type: 'DataRow', values: [Buffer.from('x')] });
    });
    const r = await probe(port);
    expect(r.diagnosis.code).toBe('protocol-error');
  });
});

/** A peer that counts its connections and answers each with `answer` (or nothing). */
async function counting(answer?: BackendMessage[]): Promise<{ port: number; connections: () => number; close: () => void }> {
  let n = 0;
  const srv = createServer((sock) => {
    n++;
    sock.on('error', () => {});
    sock.once('data', () => {
      if (answer) sock.end(serializeBackend(...answer));
      else sock.destroy();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { port: (srv.address() as { port: number }).port, connections: () => n, close: () => srv.close() };
}

const fatal = (code: string, message: string): BackendMessage => ({ type: 'ErrorResponse', fields: { severity: 'FATAL', code, message } });

describe('which attempts follow a failure, as in libpq (fe-connect.c PQconnectPoll)', () => {
  const run = (target: string, password?: string) =>
    runProbe({
      params: resolveConnParams({ target: `${target} connect_timeout=5 user=alice dbname=db`, env: {}, osUser: 'u', home: '/nonexistent' }),
      ...(password ? { password: { value: password, source: 'test' } } : {}),
    });

  it('a refused login ends the probe: the next host is not tried', async () => {
    const refusing = await counting([fatal('28P01', 'password authentication failed for user "alice"')]);
    const next = await counting();
    try {
      const r = await run(`host=127.0.0.1,127.0.0.1 port=${refusing.port},${next.port} sslmode=disable`, 'pw');
      expect(r.diagnosis.code).toBe('auth-failed');
      expect(r.exit).toBe('rejected');
      expect(r.attempts).toHaveLength(1);
      expect(next.connections()).toBe(0);
    } finally {
      refusing.close();
      next.close();
    }
  });

  it('a host that is down is skipped; the cause is the failure on the host that answered', async () => {
    const dead = await counting();
    dead.close();
    const refusing = await counting([fatal('28P01', 'password authentication failed for user "alice"')]);
    try {
      const r = await run(`host=127.0.0.1,127.0.0.1 port=${dead.port},${refusing.port} sslmode=disable`, 'pw');
      expect(r.attempts.map((a) => [a.result, a.cause])).toEqual([
        ['failed', false],
        ['failed', true],
      ]);
      expect(r.diagnosis.code).toBe('auth-failed');
      expect(r.error.code).toBe('28P01');
      expect(r.exit).toBe('rejected');
    } finally {
      refusing.close();
    }
  });

  it('sslmode=allow retries with TLS after a server error, not after a client-side refusal', async () => {
    const asks = await counting([{ type: 'AuthenticationCleartextPassword' }]);
    try {
      const r = await run(`host=127.0.0.1 port=${asks.port} sslmode=allow`);
      expect(r.diagnosis.code).toBe('password-required');
      expect(r.attempts).toHaveLength(1);
      expect(asks.connections()).toBe(1);
    } finally {
      asks.close();
    }
  });
});
