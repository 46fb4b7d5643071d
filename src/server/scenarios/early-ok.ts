/** early-ok: AuthenticationOk without asking for any authentication. */
import type { Scenario } from './types.js';

export const earlyOk: Scenario = {
  name: 'early-ok',
  does: 'sends AuthenticationOk without asking for any authentication',
  tls: true,
  safe: 'refuses (libpq: with require_auth=scram-sha-256 or channel_binding=require)',
  libpq: 'with require_auth=scram-sha-256 or channel_binding=require',
  changes: 'method',
  exchange: () => ({
    method: 'trust',
    start: () => ({ kind: 'ok', send: [], identity: null }),
    respond: () => ({ kind: 'ok', send: [], identity: null }),
  }),
};
