/**
 * What libpq accepts without a word but a diagnostic tool should say (SPEC
 * §10): after a successful login, the ways the server's authentication was
 * weaker than it could have been. Pure: facts in, warnings out.
 */
import type { AuthMethodName } from './conninfo.js';
import type { ServerKind } from './diagnose.js';

export type WeaknessCode = 'password-in-clear' | 'token-in-clear' | 'md5' | 'scram-without-channel-binding' | 'no-authentication' | 'tls-unverified';

export interface Weakness {
  code: WeaknessCode;
  message: string;
}

export interface LoginFacts {
  method: AuthMethodName | null;
  mechanism: string | null;
  tlsUsed: boolean;
  unix: boolean;
  sslmode: string;
  /** A client certificate was presented (cert authentication happens inside TLS). */
  clientCertificate: boolean;
  serverKind: ServerKind;
}

export function loginWeaknesses(f: LoginFacts): Weakness[] {
  const out: Weakness[] = [];
  const channel = f.tlsUsed ? 'over TLS' : f.unix ? 'over a Unix socket' : 'without TLS: anyone on the network path can read it';
  if (f.method === 'password') {
    out.push({ code: 'password-in-clear', message: `the server asked for the password in clear text (AuthenticationCleartextPassword) and it was sent ${channel}; require_auth=scram-sha-256 refuses this` });
  }
  if (f.method === 'oauth' && !f.tlsUsed && !f.unix) {
    out.push({ code: 'token-in-clear', message: 'the OAuth bearer token was sent without TLS: anyone on the network path can read it and log in with it until it expires; use sslmode=verify-full' });
  }
  if (f.method === 'md5') {
    out.push({
      code: 'md5',
      message: 'the server asked for an md5 password hash: it can be replayed to a server with the same salt and cracked offline, and PostgreSQL 18 deprecates md5; store a SCRAM secret and use require_auth=scram-sha-256',
    });
  }
  if (f.method === 'scram-sha-256' && f.tlsUsed && f.mechanism === 'SCRAM-SHA-256' && f.serverKind !== 'pgbouncer') {
    out.push({
      code: 'scram-without-channel-binding',
      message:
        'SCRAM without channel binding over TLS: PostgreSQL offers SCRAM-SHA-256-PLUS on every TLS connection, so a server that does not is a downgrade or a pooler/proxy in between; channel_binding=require refuses this',
    });
  }
  if ((f.method === null || f.method === 'none') && !f.clientCertificate) {
    out.push({
      code: 'no-authentication',
      message: `the server let this login in without any authentication (AuthenticationOk at once: trust${f.unix ? ', or peer' : ''}); require_auth=scram-sha-256 refuses this`,
    });
  }
  if (f.tlsUsed && f.sslmode !== 'verify-full' && f.sslmode !== 'verify-ca') {
    out.push({ code: 'tls-unverified', message: `TLS without certificate verification (sslmode=${f.sslmode}): a man in the middle would not be noticed; use sslmode=verify-full with sslrootcert` });
  }
  return out;
}
