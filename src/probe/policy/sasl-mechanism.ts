/**
 * libpq 18's choice of SASL mechanism (`fe-auth.c pg_SASL_init`), pure:
 * the offered list, whether TLS is in use, channel_binding and require_auth
 * in; the mechanism and the GS2 flag, or libpq's refusal, out. Checked in
 * libpq's order: require_auth on the request, channel_binding=require
 * without TLS, PLUS offered without TLS, the scan, require_auth on the
 * mechanism, channel_binding=require without PLUS.
 */
import type { ChannelBindingMode } from '../conninfo.js';
import type { Refusal } from './refusal.js';
import { requireAuthRefusal, saslMechanismRefusal, type AuthMethodName, type RequireAuth } from './require-auth.js';

export type SaslMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-256-PLUS' | 'OAUTHBEARER';

/** GS2 channel-binding flag (RFC 5802): p (bound), y (client could bind, server did not offer), n (no binding). */
export type Gs2Flag = 'p' | 'y' | 'n';

export interface SaslOffer {
  offered: readonly string[];
  tls: boolean;
  channelBinding: ChannelBindingMode;
  requireAuth?: RequireAuth | undefined;
}

/**
 * The require_auth name of what the server offers, for the report before
 * any choice: oauth when OAUTHBEARER is all it offers of ours.
 */
export function offeredMethod(offered: readonly string[]): Extract<AuthMethodName, 'scram-sha-256' | 'oauth'> {
  return offered.includes('OAUTHBEARER') && !offered.some((m) => m.startsWith('SCRAM-SHA-256')) ? 'oauth' : 'scram-sha-256';
}

/** PLUS when offered over TLS and binding is not disabled; else SCRAM-SHA-256; OAUTHBEARER only when nothing else fits. */
function scan(o: SaslOffer): SaslMechanism | null {
  if (o.offered.includes('SCRAM-SHA-256-PLUS') && o.tls && o.channelBinding !== 'disable') return 'SCRAM-SHA-256-PLUS';
  if (o.offered.includes('SCRAM-SHA-256')) return 'SCRAM-SHA-256';
  if (o.offered.includes('OAUTHBEARER')) return 'OAUTHBEARER';
  return null;
}

/** The GS2 flag libpq sends with a mechanism (fe-auth-scram.c build_client_first_message, fe-auth-oauth.c). */
export function gs2FlagFor(mechanism: SaslMechanism, tls: boolean, channelBinding: ChannelBindingMode): Gs2Flag {
  if (mechanism === 'SCRAM-SHA-256-PLUS') return 'p';
  if (mechanism === 'OAUTHBEARER') return 'n'; // RFC 7628: OAUTHBEARER has no channel binding (libpq sends "n,,")
  return tls && channelBinding !== 'disable' ? 'y' : 'n';
}

export function chooseSaslMechanism(o: SaslOffer): { mechanism: SaslMechanism; gs2: Gs2Flag } | Refusal {
  const requestRefused = requireAuthRefusal(o.requireAuth, 'AuthenticationSASL');
  if (requestRefused) return { code: 'auth-method-refused', message: requestRefused };
  if (o.channelBinding === 'require' && !o.tls) return { code: 'channel-binding-unavailable', message: 'channel binding required, but SSL not in use', reason: 'no-tls' };
  if (o.offered.includes('SCRAM-SHA-256-PLUS') && !o.tls) {
    return { code: 'channel-binding-failed', message: 'server offered SCRAM-SHA-256-PLUS authentication over a non-SSL connection', reason: 'plus-without-tls' };
  }
  const mechanism = scan(o);
  if (!mechanism) return { code: 'auth-method-unsupported', message: "none of the server's SASL authentication mechanisms are supported" };
  const mechanismRefused = saslMechanismRefusal(o.requireAuth, mechanism);
  if (mechanismRefused) return { code: 'auth-method-refused', message: mechanismRefused };
  if (o.channelBinding === 'require' && mechanism !== 'SCRAM-SHA-256-PLUS') {
    return { code: 'channel-binding-unavailable', message: 'channel binding is required, but server did not offer an authentication method that supports channel binding' };
  }
  return { mechanism, gs2: gs2FlagFor(mechanism, o.tls, o.channelBinding) };
}
