/**
 * The catalogue entries for PostgreSQL 18's oauth method: a login that
 * needs a bearer token, and one whose token the server's validator refused.
 * Pure.
 */
import type { DiagnosisFacts } from './diagnose.js';

export function diagnoseOAuth(code: 'oauth-token-required' | 'oauth-token-rejected', f: DiagnosisFacts): { cause: string; fix: string } {
  const o = f.oauth;
  const asks = o?.discoveryUrl
    ? `a token from the issuer ${o.issuer ?? o.discoveryUrl} (discovery document ${o.discoveryUrl})${o.scope ? ` with the scope "${o.scope}"` : ''}`
    : 'a bearer token';
  const libpq = o?.libpqError ? ` libpq 18 would stop earlier: "${o.libpqError}".` : '';
  if (code === 'oauth-token-required') {
    return {
      cause: `pg_hba.conf gives this connection the oauth method (PostgreSQL 18): the server wants ${asks}. The probe had no token, so it ran the discovery round and the server refused as it must.${libpq}`,
      fix:
        'Give the probe a token with --oauth-token-env VAR or --oauth-token-stdin. libpq clients need oauth_issuer and oauth_client_id in the connection string and either the libpq-oauth module (device flow) or a token from the application; ' +
        'a test token for pgauth serve comes from pgauth oauth-token.',
    };
  }
  return {
    cause:
      `The server's OAuth validator refused the token${o?.status ? ` (status "${o.status}")` : ''}; it wants ${asks}. ` +
      `Why is written only in the server log: the token expired or is not valid yet, was issued by another issuer or for another audience, lacks a scope, or names an identity that is not role "${f.user}" (and no map= admits it).${libpq}`,
    fix: `Get a fresh token for role "${f.user}" from that issuer with that scope, and read the server log's DETAIL for this connection (log_connections = on) for the validator's reason.`,
  };
}
