/** plus-without-tls: offer SCRAM-SHA-256-PLUS on a plaintext connection. */
import { SCRAM, SCRAM_PLUS } from './hostile-scram.js';
import type { Scenario } from './types.js';

export const plusWithoutTls: Scenario = {
  name: 'plus-without-tls',
  does: 'offers SCRAM-SHA-256-PLUS on a connection without TLS',
  tls: false,
  safe: 'refuses (libpq: always, "server offered SCRAM-SHA-256-PLUS authentication over a non-SSL connection")',
  libpq: 'always',
  changes: 'mechanisms',
  tamper: { mechanisms: () => [SCRAM_PLUS, SCRAM] },
};
