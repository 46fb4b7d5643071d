/**
 * Observes which authentication a PostgreSQL-protocol server chooses for a
 * connection: SSLRequest (when TLS is wanted), StartupMessage, then the first
 * answer. AuthenticationOk = trust, CleartextPassword = password, MD5Password
 * = md5, SASL = scram-sha-256; an ErrorResponse is classified by its text
 * (PostgreSQL's own wording for reject, no entry, peer, ident, cert). The
 * connection is closed right after, so no password is ever needed: this is a
 * real login attempt up to the point where the hba decision shows.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

export type Observed =
  | 'trust'
  | 'password'
  | 'md5'
  | 'scram-sha-256'
  | 'reject'
  | 'no-entry'
  | 'peer'
  | 'ident'
  | 'cert'
  | `other: ${string}`;

export interface Target {
  host?: string;
  port: number;
  /** Unix socket directory (the socket is `.s.PGSQL.<port>` in it). */
  socketDir?: string;
}

function startupMessage(user: string, database: string, extra: Record<string, string> = {}): Buffer {
  const more = Object.entries(extra).map(([k, v]) => `${k}\0${v}\0`).join('');
  const body = Buffer.from(`user\0${user}\0database\0${database}\0${more}\0`, 'utf8');
  const b = Buffer.alloc(8 + body.length);
  b.writeInt32BE(b.length, 0);
  b.writeInt32BE(196608, 4);
  body.copy(b, 8);
  return b;
}

function classifyError(fields: Map<string, string>): Observed {
  const m = fields.get('M') ?? '';
  if (m.startsWith('no pg_hba.conf entry')) return 'no-entry';
  if (m.startsWith('pg_hba.conf rejects')) return 'reject';
  if (m.startsWith('Peer authentication failed')) return 'peer';
  if (m.startsWith('Ident authentication failed')) return 'ident';
  // pgauth serve chose the line but cannot run the method (peer, ident, gss...): the decision is the method.
  const unsupported = /^authentication method "([\w-]+)" is not supported by pgauth serve/.exec(m);
  if (unsupported) return unsupported[1] as Observed;
  if (m.startsWith('connection requires a valid client certificate') || m.startsWith('certificate authentication failed')) return 'cert';
  return `other: ${fields.get('C') ?? ''} ${m}`;
}

/** Reads messages until the first authentication decision. */
function readDecision(sock: Socket): Promise<{ observed: Observed; message?: string }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error('no answer from server')), 15_000);
    const done = (v: { observed: Observed; message?: string }) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 5) {
        const type = String.fromCharCode(buf[0]!);
        const len = buf.readInt32BE(1);
        if (buf.length < 1 + len) return;
        const body = buf.subarray(5, 1 + len);
        buf = buf.subarray(1 + len);
        if (type === 'R') {
          const code = body.readInt32BE(0);
          const map: Record<number, Observed> = { 0: 'trust', 3: 'password', 5: 'md5', 10: 'scram-sha-256' };
          return done({ observed: map[code] ?? `other: auth request ${code}` });
        }
        if (type === 'E') {
          const fields = new Map<string, string>();
          let i = 0;
          while (i < body.length && body[i] !== 0) {
            const k = String.fromCharCode(body[i]!);
            const end = body.indexOf(0, i + 1);
            fields.set(k, body.subarray(i + 1, end).toString('utf8'));
            i = end + 1;
          }
          return done({ observed: classifyError(fields), message: fields.get('M') ?? '' });
        }
        if (type === 'N' || type === 'S') continue; // notices, parameters
        return done({ observed: `other: message ${type}` });
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on('close', () => {
      clearTimeout(timer);
      reject(new Error('server closed the connection without a decision'));
    });
  });
}

function open(t: Target): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = t.socketDir ? netConnect(`${t.socketDir}/.s.PGSQL.${t.port}`) : netConnect(t.port, t.host ?? '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** One login attempt; `ssl` asks for TLS first (and fails if the server says N); `extra`: more StartupMessage parameters (replication). */
export async function observeAuth(t: Target, user: string, database: string, ssl: boolean, extra: Record<string, string> = {}): Promise<{ observed: Observed; message?: string }> {
  let sock = await open(t);
  if (ssl) {
    const req = Buffer.alloc(8);
    req.writeInt32BE(8, 0);
    req.writeInt32BE(80877103, 4);
    sock.write(req);
    const answer = await new Promise<string>((resolve, reject) => {
      sock.once('data', (d: Buffer) => resolve(String.fromCharCode(d[0]!)));
      sock.once('error', reject);
    });
    if (answer !== 'S') {
      sock.destroy();
      throw new Error(`server refused SSL (answered ${answer})`);
    }
    const plain = sock;
    sock = await new Promise<Socket>((resolve, reject) => {
      const s = tlsConnect({ socket: plain, rejectUnauthorized: false, ALPNProtocols: ['postgresql'] }, () => resolve(s));
      s.once('error', reject);
    });
  }
  const decision = readDecision(sock);
  sock.write(startupMessage(user, database, extra));
  return decision;
}
