/** bad-signature: a wrong server signature in AuthenticationSASLFinal. */
import type { Scenario } from './types.js';

export const badSignature: Scenario = {
  name: 'bad-signature',
  does: 'sends a wrong server signature in SASLFinal (a server that does not know the password)',
  tls: true,
  safe: 'refuses (libpq: always, "incorrect server signature")',
  libpq: 'always',
  changes: 'server-final',
  tamper: { wrongSignature: true },
};
