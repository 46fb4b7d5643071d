/** nonce-mismatch: the server nonce does not extend the client's. */
import { randomBytes } from 'node:crypto';
import type { Scenario } from './types.js';

export const nonceMismatch: Scenario = {
  name: 'nonce-mismatch',
  does: "answers with a nonce that does not start with the client's nonce (a replayed server-first-message)",
  tls: true,
  safe: 'refuses before sending a proof (libpq: always, "invalid SCRAM response (nonce mismatch)")',
  libpq: 'always',
  changes: 'server-first',
  tamper: { serverFirst: () => ({ nonce: randomBytes(36).toString('base64') }) },
};
