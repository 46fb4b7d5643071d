/** wrong-cert-binding: SASLFinal signed over another certificate's tls-server-end-point (a TLS-terminating man in the middle). */
import { createHash } from 'node:crypto';
import type { Scenario } from './types.js';

export const wrongCertBinding: Scenario = {
  name: 'wrong-cert-binding',
  does: "signs SASLFinal over a different certificate's hash than the one the client bound to (a proxy terminating TLS)",
  tls: true,
  safe: 'refuses (libpq: with SCRAM-SHA-256-PLUS, i.e. channel_binding=prefer or require, "incorrect server signature")',
  libpq: 'with channel binding (prefer, the default over TLS, or require)',
  changes: 'server-final',
  tamper: { signatureBinding: () => createHash('sha256').update('another certificate').digest() },
};
