/**
 * The files of libpq's TLS parameters (sslrootcert, sslcert, sslkey) read
 * with libpq's rules: which of them switch on verification, the root file
 * verify-ca/verify-full need, the private key's permissions.
 */
import { existsSync, statSync } from 'node:fs';
import { MAX_TLS_FILE_BYTES, readFileBounded } from '../files/read-bounded.js';
import { ConninfoError, type ConnParams } from './conninfo.js';

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  verifyChain: boolean;
  verifyHost: boolean;
  rootError?: string;
}

function readBounded(path: string, what: string): Buffer {
  try {
    return readFileBounded(path, MAX_TLS_FILE_BYTES);
  } catch (err) {
    throw new ConninfoError(`could not read ${what} "${path}": ${(err as Error).message}`);
  }
}

/** Loads sslrootcert/sslcert/sslkey with libpq's rules. */
export function loadTlsMaterial(p: ConnParams, env: NodeJS.ProcessEnv = process.env): TlsMaterial {
  const m: TlsMaterial = { verifyChain: false, verifyHost: p.sslmode === 'verify-full' };
  const strict = p.sslmode === 'verify-ca' || p.sslmode === 'verify-full';
  if (p.sslrootcert === 'system') {
    const file = env.SSL_CERT_FILE ?? '/etc/ssl/certs/ca-certificates.crt';
    if (!existsSync(file)) throw new ConninfoError(`sslrootcert=system: the system CA bundle "${file}" does not exist (set SSL_CERT_FILE)`);
    m.ca = readBounded(file, 'system CA bundle');
    m.verifyChain = true;
  } else if (p.sslrootcert && existsSync(p.sslrootcert)) {
    // libpq: a root file that exists switches on verification even for require/prefer/allow.
    m.ca = readBounded(p.sslrootcert, 'root certificate file');
    m.verifyChain = p.sslmode !== 'disable';
  } else if (strict) {
    m.verifyChain = true;
    m.rootError = `root certificate file "${p.sslrootcert}" does not exist\nEither provide the file, use the system's trusted roots with sslrootcert=system, or change sslmode to disable server certificate verification.`;
  }
  if (p.sslcert && existsSync(p.sslcert)) {
    m.cert = readBounded(p.sslcert, 'client certificate file');
    if (!p.sslkey || !existsSync(p.sslkey)) throw new ConninfoError(`certificate present, but not private key file "${p.sslkey}"`);
    const st = statSync(p.sslkey);
    if (!st.isFile()) throw new ConninfoError(`private key file "${p.sslkey}" is not a regular file`);
    // fe-secure-openssl.c initialize_SSL: a root-owned key 0640 or less, any other key 0600 or less,
    // whoever owns it and whoever runs (checked against libpq 15: as root, a root-owned 0640 key loads).
    const tooOpen = st.uid === 0 ? (st.mode & 0o037) !== 0 : (st.mode & 0o077) !== 0;
    if (process.platform !== 'win32' && tooOpen) {
      throw new ConninfoError(
        `private key file "${p.sslkey}" has group or world access; file must have permissions u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) or less if owned by root`,
      );
    }
    m.key = readBounded(p.sslkey, 'private key file');
  }
  return m;
}
