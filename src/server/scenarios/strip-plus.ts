/** strip-plus: over TLS, offer only SCRAM-SHA-256 although -PLUS is possible (a downgrade). */
import { SCRAM } from './hostile-scram.js';
import type { Scenario } from './types.js';

export const stripPlus: Scenario = {
  name: 'strip-plus',
  does: 'over TLS, offers only SCRAM-SHA-256 although SCRAM-SHA-256-PLUS is possible',
  tls: true,
  safe: 'refuses (libpq: with channel_binding=require)',
  libpq: 'with channel_binding=require',
  changes: 'mechanisms',
  tamper: { mechanisms: () => [SCRAM] },
};
