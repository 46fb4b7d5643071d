/** oversize-message: a SASL message past the protocol's limits. */
import { PG_MAX_AUTH_TOKEN_LENGTH } from '../../protocol/limits.js';
import type { Scenario } from './types.js';

export const oversizeMessage: Scenario = {
  name: 'oversize-message',
  does: `sends a server-first-message of more than ${PG_MAX_AUTH_TOKEN_LENGTH} bytes (PostgreSQL's limit for authentication messages)`,
  tls: true,
  safe: 'refuses the message without buffering it whole',
  libpq: 'always',
  changes: 'server-first',
  tamper: { serverFirst: () => ({ padding: PG_MAX_AUTH_TOKEN_LENGTH + 1 }) },
};
