/**
 * cert: no challenge; the client certificate, verified against --tls-ca
 * during the TLS handshake, must carry a CN equal to the user (CheckCertAuth,
 * clientname=CN; clientname=DN compares the RFC 2253 subject instead).
 */
import { fatal } from '../errors.js';
import type { AuthContext, AuthExchange, AuthStep } from './types.js';

/** The clientcert check PostgreSQL makes before any method (auth.c); undefined when it passes. */
export function clientCertProblem(ctx: AuthContext, mode: 'verify-ca' | 'verify-full'): AuthStep | undefined {
  if (!ctx.haveClientCa) {
    return { kind: 'fail', error: fatal('F0000', 'client certificates can only be checked if a root certificate store is available') };
  }
  if (!ctx.peerCertificate || !ctx.peerCertificate.verified) {
    return { kind: 'fail', error: fatal('28000', 'connection requires a valid client certificate') };
  }
  void mode;
  return undefined;
}

/** The certificate's name as `clientname=` selects it. */
export function certName(ctx: AuthContext): string | undefined {
  const p = ctx.peerCertificate;
  if (!p) return undefined;
  return ctx.options.clientname === 'DN' ? p.dn : p.cn;
}

export function certExchange(ctx: AuthContext): AuthExchange {
  const user = ctx.facts.user;
  return {
    method: 'cert',
    start(): AuthStep {
      const problem = clientCertProblem(ctx, 'verify-full');
      if (problem) return problem;
      const name = certName(ctx);
      if (!name) {
        return { kind: 'fail', error: fatal('28000', `certificate authentication failed for user "${user}"`, { logDetail: 'client certificate contains no user name' }) };
      }
      if (name !== user) {
        return {
          kind: 'fail',
          error: fatal('28000', `certificate authentication failed for user "${user}"`, {
            logDetail: `provided user name (${user}) and authenticated user name (${name}) do not match`,
          }),
        };
      }
      // PostgreSQL records the subject DN as the authenticated identity.
      return { kind: 'ok', send: [], identity: ctx.peerCertificate!.dn };
    },
    respond: (): AuthStep => {
      throw new Error('cert expects no response');
    },
  };
}
