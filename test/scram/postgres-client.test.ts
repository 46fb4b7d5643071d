/**
 * Our SCRAM client against a real PostgreSQL, over plain TCP and over TLS
 * with SCRAM-SHA-256-PLUS: proves the client messages, PostgreSQL's 48-char
 * nonces, the server signature check, and that tlsServerEndPoint computes the
 * same certificate hash as PostgreSQL (for a sha256- and a sha1-signed
 * certificate). The few protocol bytes are built here, independently of
 * src/protocol.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScramError, createScramClient, createScramServer, tlsServerEndPoint, type ChannelBinding } from '../../src/scram/index.js';
import { buildScramSecret, parseScramSecret, type ScramSecret } from '../../src/secrets/index.js';
import { describeWith, pgMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { chownToPostgres, tempDir } from '../helpers/tmp.js';

/** Reads whole backend messages off a socket. */
class Reader {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  private closed = false;
  constructor(sock: Socket | TLSSocket) {
    sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  async bytes(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.closed) throw new Error('connection closed');
      await new Promise<void>((r) => this.waiters.push(r));
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }
  async message(): Promise<{ type: string; body: Buffer }> {
    const head = await this.bytes(5);
    const len = head.readInt32BE(1);
    if (len < 4 || len > 1 << 20) throw new Error(`bad length ${len}`);
    return { type: String.fromCharCode(head[0]!), body: await this.bytes(len - 4) };
  }
}

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
const msg = (type: string, body: Buffer) => Buffer.concat([Buffer.from(type), int32(body.length + 4), body]);
const cstr = (s: string) => Buffer.from(s + '\0');

function errorFields(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < body.length && body[i] !== 0) {
    const end = body.indexOf(0, i + 1);
    out[String.fromCharCode(body[i]!)] = body.subarray(i + 1, end).toString();
    i = end + 1;
  }
  return out;
}

interface Outcome {
  ok: boolean;
  mechanisms: string[];
  error?: Record<string, string>;
  serverFirst?: string;
  clientError?: string;
  certDer?: Buffer;
}

/** What to send instead of a well-behaved client's messages (for differential tests). */
interface RawScript {
  mechanism: string;
  clientFirst: string;
  /** Builds the client-final-message from the server-first-message and the certificate. */
  clientFinal?: (serverFirst: string, certDer: Buffer | undefined) => string;
}

/**
 * Logs in as `user`: plain TCP, or TLS (SSLRequest) when `tls` is set;
 * `binding` chooses the channel binding from the server certificate; `raw`
 * sends scripted SCRAM messages instead of our client's.
 */
async function login(
  pg: Cluster,
  user: string,
  password: string,
  opts: { tls?: boolean; binding?: (certDer: Buffer) => ChannelBinding; raw?: RawScript } = {},
): Promise<Outcome> {
  let sock: Socket | TLSSocket = netConnect({ host: '127.0.0.1', port: pg.port });
  await new Promise<void>((res, rej) => sock.once('connect', res).once('error', rej));
  let certDer: Buffer | undefined;
  if (opts.tls) {
    sock.write(Buffer.concat([int32(8), int32(80877103)]));
    const answer = await new Promise<Buffer>((res) => sock.once('data', res));
    expect(answer.toString()).toBe('S');
    const tsock = tlsConnect({ socket: sock, rejectUnauthorized: false, servername: 'localhost' });
    await new Promise<void>((res, rej) => tsock.once('secureConnect', res).once('error', rej));
    certDer = tsock.getPeerCertificate().raw;
    sock = tsock;
  }
  const reader = new Reader(sock);
  try {
    const params = Buffer.concat([cstr('user'), cstr(user), cstr('database'), cstr('postgres'), Buffer.from([0])]);
    sock.write(Buffer.concat([int32(params.length + 8), int32(196608), params]));
    const outcome: Outcome = { ok: false, mechanisms: [], ...(certDer ? { certDer } : {}) };
    let client: ReturnType<typeof createScramClient> | undefined;
    for (;;) {
      const m = await reader.message();
      if (m.type === 'E') return { ...outcome, error: errorFields(m.body) };
      if (m.type !== 'R') throw new Error(`unexpected message ${m.type}`);
      const code = m.body.readInt32BE(0);
      const data = m.body.subarray(4);
      if (code === 10) {
        outcome.mechanisms = data.toString().split('\0').filter(Boolean);
        let mechanism: string;
        let first: Buffer;
        if (opts.raw) {
          mechanism = opts.raw.mechanism;
          first = Buffer.from(opts.raw.clientFirst);
        } else {
          const binding: ChannelBinding = opts.binding ? opts.binding(certDer!) : { mode: 'none' };
          client = createScramClient({ password, channelBinding: binding });
          mechanism = client.mechanism;
          first = Buffer.from(client.clientFirstMessage());
        }
        sock.write(msg('p', Buffer.concat([cstr(mechanism), int32(first.length), first])));
      } else if (code === 11) {
        outcome.serverFirst = data.toString();
        const final = opts.raw ? opts.raw.clientFinal!(outcome.serverFirst, certDer) : client!.handleServerFirst(outcome.serverFirst);
        sock.write(msg('p', Buffer.from(final)));
      } else if (code === 12) {
        if (opts.raw) return { ...outcome, ok: true };
        try {
          client!.verifyServerFinal(data.toString());
        } catch (e) {
          return { ...outcome, clientError: (e as Error).message };
        }
      } else if (code === 0) {
        return { ...outcome, ok: true };
      } else {
        throw new Error(`unexpected authentication request ${code}`);
      }
    }
  } finally {
    sock.destroy();
  }
}

/** The same script against our ScramServer: the error as PostgreSQL would put it on the wire. */
function ours(script: RawScript, secret: ScramSecret, tls: { certDer: Buffer } | undefined): { C: string; M: string; D?: string } | 'ok' {
  try {
    const server = createScramServer({
      mechanism: script.mechanism as 'SCRAM-SHA-256',
      secret,
      tlsAvailable: tls !== undefined,
      ...(tls ? { channelBindingData: tlsServerEndPoint(tls.certDer) } : {}),
    });
    const sf = server.handleClientFirst(script.clientFirst);
    const result = server.handleClientFinal(script.clientFinal!(sf, tls?.certDer));
    return result.ok ? 'ok' : { C: '28P01', M: 'password authentication failed for user "alice"' };
  } catch (e) {
    if (!(e instanceof ScramError)) throw e;
    return { C: e.sqlstate!, M: e.message, ...(e.detail !== undefined ? { D: e.detail } : {}) };
  }
}

describeWith(pgMissing(), 'our SCRAM client against a real PostgreSQL', () => {
  let pg: Cluster;
  let certs: CertSet;
  let dir: { path: string; remove: () => void };
  let secret: ScramSecret;

  beforeAll(async () => {
    dir = tempDir();
    certs = makeCerts(dir.path);
    pg = await startCluster({
      hba: 'host all all 127.0.0.1/32 scram-sha-256\n',
      ssl: { cert: certs.serverCert, key: certs.serverKey },
    });
    const text = buildScramSecret('s\u00e9same \u00ad', { iterations: 4096 });
    secret = parseScramSecret(text);
    await pg.sql(`CREATE ROLE alice LOGIN PASSWORD '${text}'`);
  });
  afterAll(async () => {
    await pg?.stop();
    dir?.remove();
  });

  it('logs in over plain TCP with SCRAM-SHA-256 and checks the server signature', async () => {
    const r = await login(pg, 'alice', 's\u00e9same ');
    expect(r.mechanisms).toEqual(['SCRAM-SHA-256']);
    expect(r.serverFirst).toMatch(/^r=[A-Za-z0-9+/]{48},s=[A-Za-z0-9+/]{22}==,i=4096$/);
    expect(r).toMatchObject({ ok: true });
  });

  it('is refused with 28P01 for a wrong password', async () => {
    const r = await login(pg, 'alice', 'sesame');
    expect(r.ok).toBe(false);
    expect(r.error).toMatchObject({ C: '28P01', M: 'password authentication failed for user "alice"' });
  });

  it('logs in over TLS with SCRAM-SHA-256-PLUS and tls-server-end-point (sha256-signed certificate)', async () => {
    const r = await login(pg, 'alice', 's\u00e9same ', { tls: true, binding: (der) => ({ mode: 'tls-server-end-point', data: tlsServerEndPoint(der) }) });
    expect(r.mechanisms).toEqual(['SCRAM-SHA-256-PLUS', 'SCRAM-SHA-256']);
    expect(r.ok).toBe(true);
  });

  it("PostgreSQL refuses 'y' over TLS (downgrade protection) as our server does", async () => {
    const r = await login(pg, 'alice', 's\u00e9same ', { tls: true, binding: () => ({ mode: 'client-supports' }) });
    expect(r.error).toMatchObject({ C: '28000', M: 'SCRAM channel binding negotiation error' });
  });

  it('PostgreSQL refuses wrong channel-binding data with 28000', async () => {
    const r = await login(pg, 'alice', 's\u00e9same ', { tls: true, binding: () => ({ mode: 'tls-server-end-point', data: Buffer.alloc(32, 1) }) });
    expect(r.error).toMatchObject({ C: '28000', M: 'SCRAM channel binding check failed' });
  });

  describe('our ScramServer refuses exactly what PostgreSQL refuses, with the same SQLSTATE, message and detail', () => {
    const nonceOf = (sf: string) => /^r=([^,]*)/.exec(sf)![1]!;
    const PROOF = Buffer.alloc(32, 9).toString('base64');
    const cbPlus = (der: Buffer | undefined) =>
      Buffer.concat([Buffer.from('p=tls-server-end-point,,'), tlsServerEndPoint(der!)]).toString('base64');
    const unreached = () => 'c=biws,r=never,p=' + PROOF;
    const S = 'SCRAM-SHA-256';
    const P = 'SCRAM-SHA-256-PLUS';
    const cases: Array<[string, boolean, RawScript]> = [
      ['empty client-first', false, { mechanism: S, clientFirst: '', clientFinal: unreached }],
      ['unknown GS2 flag', false, { mechanism: S, clientFirst: 'x,,n=,r=abc', clientFinal: unreached }],
      ['no comma after the flag', false, { mechanism: S, clientFirst: 'nx,n=,r=abc', clientFinal: unreached }],
      ['authzid', false, { mechanism: S, clientFirst: 'n,a=bob,n=,r=abc', clientFinal: unreached }],
      ['junk before the second comma', false, { mechanism: S, clientFirst: 'n,x,n=,r=abc', clientFinal: unreached }],
      ['mandatory extension', false, { mechanism: S, clientFirst: 'n,,m=ext,n=,r=abc', clientFinal: unreached }],
      ['no n=', false, { mechanism: S, clientFirst: 'n,,r=abc', clientFinal: unreached }],
      ['n without =', false, { mechanism: S, clientFirst: 'n,,nuser,r=abc', clientFinal: unreached }],
      ['no r=', false, { mechanism: S, clientFirst: 'n,,n=', clientFinal: unreached }],
      ['non-printable nonce', false, { mechanism: S, clientFirst: 'n,,n=,r=ab\x7f', clientFinal: unreached }],
      ['bad extension', false, { mechanism: S, clientFirst: 'n,,n=,r=abc,1=2', clientFinal: unreached }],
      ["'p=' without -PLUS", false, { mechanism: S, clientFirst: 'p=tls-server-end-point,,n=,r=abc', clientFinal: unreached }],
      ['embedded NUL', false, { mechanism: S, clientFirst: 'n,,n=,r=abc\0x', clientFinal: unreached }],
      ['-PLUS without TLS', false, { mechanism: P, clientFirst: 'p=tls-server-end-point,,n=,r=abc', clientFinal: unreached }],
      ["'y' over TLS (downgrade)", true, { mechanism: S, clientFirst: 'y,,n=,r=abc', clientFinal: unreached }],
      ["'n' under -PLUS", true, { mechanism: P, clientFirst: 'n,,n=,r=abc', clientFinal: unreached }],
      ["'y' under -PLUS", true, { mechanism: P, clientFirst: 'y,,n=,r=abc', clientFinal: unreached }],
      ['unsupported binding type', true, { mechanism: P, clientFirst: 'p=tls-unique,,n=,r=abc', clientFinal: unreached }],
      ["c= of 'y' after 'n'", false, { mechanism: S, clientFirst: 'n,,n=,r=abc', clientFinal: (sf) => `c=eSws,r=${nonceOf(sf)},p=${PROOF}` }],
      ["c= of 'n' after 'y'", false, { mechanism: S, clientFirst: 'y,,n=,r=abc', clientFinal: (sf) => `c=biws,r=${nonceOf(sf)},p=${PROOF}` }],
      ['no c=', false, { mechanism: S, clientFirst: 'n,,n=,r=abc', clientFinal: (sf) => `r=${nonceOf(sf)},p=${PROOF}` }],
      ['wrong nonce', false, { mechanism: S, clientFirst: 'n,,n=,r=abc', clientFinal: (sf) => `c=biws,r=${nonceOf(sf)}X,p=${PROOF}` }],
      ['short proof', false, { mechanism: S, clientFirst: 'n,,n=,r=abc', clientFinal: (sf) => `c=biws,r=${nonceOf(sf)},p=AAAA` }],
      ['no proof', false, { mechanism: S, clientFirst: 'n,,n=,r=abc', clientFinal: (sf) => `c=biws,r=${nonceOf(sf)}` }],
      ['garbage after the proof', false, { mechanism: S, clientFirst: 'n,,n=,r=abc', clientFinal: (sf) => `c=biws,r=${nonceOf(sf)},p=${PROOF},x=1` }],
      ['a wrong proof', false, { mechanism: S, clientFirst: 'n,,n=,r=abc', clientFinal: (sf) => `c=biws,r=${nonceOf(sf)},p=${PROOF}` }],
      ['a wrong proof after an extension', false, { mechanism: S, clientFirst: 'n,,n=,r=abc', clientFinal: (sf) => `c=biws,r=${nonceOf(sf)},x=1,p=${PROOF}` }],
      [
        'wrong channel-binding data',
        true,
        { mechanism: P, clientFirst: 'p=tls-server-end-point,,n=,r=abc', clientFinal: (sf) => `c=${Buffer.from('p=tls-server-end-point,,' + 'x'.repeat(32)).toString('base64')},r=${nonceOf(sf)},p=${PROOF}` },
      ],
      ['right channel binding, wrong proof', true, { mechanism: P, clientFirst: 'p=tls-server-end-point,,n=,r=abc', clientFinal: (sf, der) => `c=${cbPlus(der)},r=${nonceOf(sf)},p=${PROOF}` }],
      ["'y' without TLS, wrong proof", false, { mechanism: S, clientFirst: 'y,,n=,r=abc', clientFinal: (sf) => `c=eSws,r=${nonceOf(sf)},p=${PROOF}` }],
    ];
    for (const [name, tls, script] of cases) {
      it(name, async () => {
        const theirs = await login(pg, 'alice', '', { tls, raw: script });
        expect(theirs.ok).toBe(false);
        const { C, M, D } = theirs.error!;
        const want = { C, M, ...(D !== undefined ? { D } : {}) };
        expect(ours(script, secret, tls ? { certDer: theirs.certDer! } : undefined)).toEqual(want);
      });
    }
  });

  it('matches PostgreSQL for a sha1-signed certificate (hashed with SHA-256)', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha1', '-keyout', 'sha1.key', '-out', 'sha1.crt', '-days', '2', '-subj', '/CN=localhost'], {
      cwd: dir.path,
      stdio: 'ignore',
    });
    for (const [from, to] of [['sha1.crt', 'server.crt'], ['sha1.key', 'server.key']] as const) {
      copyFileSync(join(dir.path, from), join(pg.dataDir, to));
      chownToPostgres(join(pg.dataDir, to));
    }
    await pg.reload();
    let der: Buffer | undefined;
    const r = await login(pg, 'alice', 's\u00e9same ', {
      tls: true,
      binding: (d) => {
        der = d;
        return { mode: 'tls-server-end-point', data: tlsServerEndPoint(d) };
      },
    });
    const sigalg = execFileSync('openssl', ['x509', '-in', join(dir.path, 'sha1.crt'), '-noout', '-text']).toString();
    expect(sigalg).toMatch(/Signature Algorithm: sha1WithRSAEncryption/);
    expect(der).toEqual(
      Buffer.from(execFileSync('openssl', ['x509', '-in', join(dir.path, 'sha1.crt'), '-outform', 'DER'])),
    );
    expect(r.ok).toBe(true);
  });
});
