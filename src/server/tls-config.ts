/**
 * The server's TLS material from its configuration: --tls-cert/--tls-key
 * or --tls-self-signed, and --tls-ca for client certificates; each file
 * read bounded and checked at start, so an error names the flag and file.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { MAX_TLS_FILE_BYTES, readFileBounded } from '../files/read-bounded.js';
import { channelBindingOfCertificate, makeSelfSignedCertificate } from './certificate.js';
import { ServeConfigError, type ServeConfig } from './config.js';

/** PEM texts (none when TLS is off) and our certificate's tls-server-end-point data. */
export interface TlsMaterial {
  certPem: string | undefined;
  keyPem: string | undefined;
  caPem: string | undefined;
  channelBinding: Buffer | null;
}

/** Certificates and keys are a few KiB; a CA bundle may be a few hundred. */

/** A PEM file named by a flag, read bounded; errors name the flag and file. */
function readTlsFile(flag: string, path: string): string {
  return checked(() => readFileBounded(path, MAX_TLS_FILE_BYTES).toString('utf8'), (why) => `${flag} ${path}: ${why}`);
}

/** Reads (or makes) the PEM texts and checks what goes together. */
async function readTlsMaterial(config: ServeConfig, hbaPath: string | undefined): Promise<Omit<TlsMaterial, 'channelBinding'>> {
  let certPem: string | undefined;
  let keyPem: string | undefined;
  let caPem: string | undefined;
  const t = config.tls ?? {};
  if (t.selfSigned) {
    const pair = await makeSelfSignedCertificate([config.host]);
    certPem = pair.cert;
    keyPem = pair.key;
  } else if (t.certPath || t.keyPath) {
    if (!t.certPath || !t.keyPath) throw new ServeConfigError('--tls-cert and --tls-key go together');
    certPem = readTlsFile('--tls-cert', t.certPath);
    keyPem = readTlsFile('--tls-key', t.keyPath);
  }
  if (t.caPath) {
    if (!certPem) throw new ServeConfigError('--tls-ca needs a server certificate (--tls-cert/--tls-key or --tls-self-signed)');
    caPem = readTlsFile('--tls-ca', t.caPath);
  }
  if (config.requireTls && !certPem) throw new ServeConfigError('--require-tls needs --tls-cert/--tls-key or --tls-self-signed');
  if (!hbaPath && config.auth === 'cert' && (!certPem || !caPem)) {
    throw new ServeConfigError('--auth cert needs a server certificate (--tls-cert/--tls-key or --tls-self-signed) and --tls-ca to verify client certificates');
  }
  return { certPem, keyPem, caPem };
}

/** Runs a check; its error becomes a ServeConfigError worded by `say`. */
function checked<T>(check: () => T, say: (reason: string) => string): T {
  try {
    return check();
  } catch (e) {
    throw new ServeConfigError(say((e as Error).message));
  }
}

/** Parses each PEM on its own, then the pair, so the error names the flag and file that is wrong. */
function checkTlsMaterial(config: ServeConfig, certPem: string, keyPem: string, caPem: string | undefined): X509Certificate {
  const t = config.tls ?? {};
  const cert = certFlag(config);
  const x509 = checked(() => new X509Certificate(certPem), (why) => `${cert}: not a PEM certificate (${why})`);
  checked(() => createPrivateKey(keyPem), (why) => `--tls-key ${t.keyPath}: not a PEM private key (${why})`);
  if (caPem !== undefined) checked(() => new X509Certificate(caPem), (why) => `--tls-ca ${t.caPath}: not a PEM certificate (${why})`);
  // Fails early on a bad pair.
  checked(() => createSecureContext({ cert: certPem, key: keyPem, ...(caPem ? { ca: caPem } : {}) }), (why) => `${cert} with --tls-key ${t.keyPath ?? ''}: ${why}`);
  return x509;
}

/** How messages name the server certificate: its file, or --tls-self-signed. */
const certFlag = (config: ServeConfig): string => (config.tls?.certPath ? `--tls-cert ${config.tls.certPath}` : '--tls-self-signed');

/** The TLS material, checked; a warning when the certificate's algorithm rules out channel binding. */
export async function loadTls(config: ServeConfig, hbaPath: string | undefined): Promise<TlsMaterial> {
  const { certPem, keyPem, caPem } = await readTlsMaterial(config, hbaPath);
  let channelBinding: Buffer | null = null;
  if (certPem && keyPem) {
    const x509 = checkTlsMaterial(config, certPem, keyPem, caPem);
    const binding = await channelBindingOfCertificate(x509.raw);
    channelBinding = binding.data;
    if (binding.data === null) {
      config.onEvent({
        event: 'warning',
        time: new Date().toISOString(),
        message: `${certFlag(config)}: SCRAM-SHA-256-PLUS is off: the certificate's signature algorithm (${binding.algorithm}) has no hash for tls-server-end-point channel binding; SCRAM-SHA-256 is offered without it`,
      });
    }
  }
  return { certPem, keyPem, caPem, channelBinding };
}
