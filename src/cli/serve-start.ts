/**
 * What `pgauth serve` says at start besides its listening line, and the
 * throwaway certificate it can write for clients (--tls-self-signed-out).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { usageError } from './errors.js';
import { IS_A_DIRECTORY } from '../files/wording.js';

export interface SelfSignedFiles {
  certPath: string;
  keyPath: string;
  /** Removes the private copies (the key never outlives the start). */
  cleanup(): void;
}

/**
 * Makes the self-signed certificate here rather than in the server, so its
 * public half can be written to `outPath` (atomically, 0644: a certificate is
 * public) for `sslmode=verify-full sslrootcert=outPath`. The server reads the
 * pair once at start from a private 0700 folder that `cleanup` removes.
 */
export async function selfSignedToFiles(outPath: string, host: string, flag = '--tls-self-signed-out'): Promise<SelfSignedFiles> {
  const { makeSelfSignedCertificate } = await import('../server/certificate.js');
  const { writeFileAtomic } = await import('../files/atomic-write.js');
  const pair = await makeSelfSignedCertificate([host]);
  const { statSync } = await import('node:fs');
  if (statSync(outPath, { throwIfNoEntry: false })?.isDirectory()) throw usageError(`${flag} ${outPath}: ${IS_A_DIRECTORY}`);
  try {
    await writeFileAtomic(outPath, Buffer.from(pair.cert), { mode: 0o644 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'its folder does not exist' : e.code === 'EACCES' || e.code === 'EPERM' ? 'permission denied' : e.code === 'EISDIR' ? IS_A_DIRECTORY : e.message;
    throw usageError(`${flag} ${outPath}: cannot write the certificate: ${why}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'pgauth-serve-'));
  const certPath = join(dir, 'server.crt');
  const keyPath = join(dir, 'server.key');
  writeFileSync(certPath, pair.cert, { mode: 0o600 });
  writeFileSync(keyPath, pair.key, { mode: 0o600 });
  return { certPath, keyPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface StartFacts {
  host: string;
  port: number;
  socketPath: string | null;
  rolesPath: string | null;
  /** Role names in the file (null without a role file). */
  roleNames: readonly string[] | null;
  method: string;
  tls: boolean;
  /** Where the certificate a client can verify against was written. */
  rootCert?: string;
}

/** A conninfo value, quoted when it needs it (libpq's rules: '' around, \ before ' and \). */
function conninfoValue(v: string): string {
  return /^[^\s'\\]+$/.test(v) ? v : `'${v.replace(/[\\']/g, '\\$&')}'`;
}

/** One shell word: single quotes, a ' inside written '\\''. */
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** The few lines on stderr after the listening line: role file, method, TLS, how to connect. */
export function startLines(f: StartFacts): string[] {
  const roles =
    f.rolesPath === null
      ? 'no role file (password methods refuse everyone)'
      : `role file ${f.rolesPath} (${f.roleNames!.length} role${f.roleNames!.length === 1 ? '' : 's'})`;
  const tls = !f.tls ? 'TLS off' : f.rootCert ? `TLS on, certificate in ${f.rootCert}` : 'TLS on';
  const user = f.roleNames?.[0] ?? 'NAME';
  const host = f.host === '0.0.0.0' ? '127.0.0.1' : f.host === '::' ? '::1' : f.host;
  const words = [`host=${conninfoValue(host)}`, `port=${f.port}`, `user=${conninfoValue(user)}`, 'dbname=postgres'];
  if (f.tls) words.push(f.rootCert ? `sslmode=verify-full sslrootcert=${conninfoValue(f.rootCert)}` : 'sslmode=require');
  else words.push('sslmode=disable');
  return [
    `pgauth serve: ${roles}`,
    `pgauth serve: auth ${f.method}, ${tls}`,
    `pgauth serve: connect with: psql ${shellQuote(words.join(' '))}`,
  ];
}
