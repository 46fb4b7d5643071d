/** Test certificates made with openssl: a CA, a server certificate, client certificates. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chownToPostgres } from './tmp.js';

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

export interface CertSet {
  dir: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** client name (CN) -> cert and key paths */
  clients: Record<string, { cert: string; key: string }>;
}

/** Makes a CA and certificates signed by it. `serverNames` go in subjectAltName. */
export function makeCerts(
  dir: string,
  /** serverDays: its validity (-1: expired when made, notAfter a day ago). */
  opts: { caName?: string; serverCN?: string; serverNames?: string[]; clients?: string[]; serverDays?: number } = {},
): CertSet {
  const caName = opts.caName ?? 'pgauth test CA';
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', `/CN=${caName}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const issue = (name: string, cn: string, ext: string, days: number) => {
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`,
      '-days', String(days), '-extfile', `${name}.ext`], dir);
  };
  const names = opts.serverNames ?? ['DNS:localhost', 'IP:127.0.0.1', 'IP:::1'];
  issue('server', opts.serverCN ?? 'localhost', `subjectAltName=${names.join(',')}\nextendedKeyUsage=serverAuth\n`, opts.serverDays ?? 30);
  const clients: CertSet['clients'] = {};
  for (const c of opts.clients ?? []) {
    issue(`client-${c}`, c, 'extendedKeyUsage=clientAuth\n', 30);
    clients[c] = { cert: join(dir, `client-${c}.crt`), key: join(dir, `client-${c}.key`) };
  }
  for (const f of ['ca.crt', 'server.crt', 'server.key']) chownToPostgres(join(dir, f));
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clients,
  };
}
