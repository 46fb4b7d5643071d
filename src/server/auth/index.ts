/** The method registry: a method name (pg_hba.conf spelling) to its exchange. */
import { fatal } from '../errors.js';
import { methodFailure } from './failure.js';

export { methodFailure } from './failure.js';
import { certExchange, certName, clientCertProblem } from './cert.js';
import { md5Exchange } from './md5.js';
import { oauthExchange } from './oauth.js';
import { pamExchange } from './pam.js';
import { passwordExchange } from './password.js';
import { scramExchange } from './scram.js';
import { trustExchange } from './trust.js';
import type { AuthContext, AuthExchange, AuthStep } from './types.js';

export type { AuthContext, AuthExchange, AuthStep, OAuthSettings, PeerCertificate } from './types.js';

/** Methods PostgreSQL knows but this server does not run. */
const UNSUPPORTED = new Set(['gss', 'sspi', 'ident', 'peer', 'ldap', 'radius', 'bsd']);

function failing(method: string, step: AuthStep): AuthExchange {
  return { method, start: () => step, respond: () => step };
}

/**
 * The exchange for a method. An hba line's `clientcert=verify-ca|verify-full`
 * is checked first (auth.c), with verify-full's name mismatch reported as
 * the method's own failure, as PostgreSQL does.
 */
export function createExchange(method: string, ctx: AuthContext): AuthExchange {
  const cc = ctx.options.clientcert;
  if (method !== 'cert' && (cc === 'verify-ca' || cc === 'verify-full')) {
    const problem = clientCertProblem(ctx, cc);
    if (problem) return failing(method, problem);
    if (cc === 'verify-full' && certName(ctx) !== ctx.facts.user) {
      return failing(method, {
        kind: 'fail',
        error: methodFailure(method, ctx.facts.user, `certificate validation (clientcert=verify-full) failed for user "${ctx.facts.user}": CN mismatch`),
      });
    }
  }
  switch (method) {
    case 'trust':
      return trustExchange();
    case 'password':
      return passwordExchange(ctx);
    case 'md5':
      return md5Exchange(ctx);
    case 'scram-sha-256':
    case 'scram':
      return scramExchange(ctx);
    case 'cert':
      return certExchange(ctx);
    case 'pam':
      return pamExchange(ctx);
    case 'oauth':
      return oauthExchange(ctx);
    default:
      return failing(method, {
        kind: 'fail',
        error: fatal('28000', UNSUPPORTED.has(method) ? `authentication method "${method}" is not supported by pgauth serve` : `invalid authentication method "${method}"`),
      });
  }
}
