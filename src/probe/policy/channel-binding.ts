/**
 * libpq's `channel_binding` outside the SASL exchange (`fe-auth.c
 * check_expected_areq`), pure. With `require`, no non-SASL request is
 * answered (a password would leak to whoever terminates TLS), and
 * AuthenticationOk counts only after a completed SCRAM-SHA-256-PLUS
 * exchange. The choice inside SASL is in sasl-mechanism.ts.
 */
import type { ChannelBindingMode } from '../conninfo.js';
import type { Refusal } from './refusal.js';
import type { AuthRequestName } from './require-auth.js';

export function channelBindingRefusal(mode: ChannelBindingMode, request: AuthRequestName, bound: boolean): Refusal | null {
  if (mode !== 'require' || request === 'AuthenticationSASL') return null;
  if (request === 'AuthenticationOk') {
    return bound ? null : { code: 'channel-binding-unavailable', message: 'channel binding required, but server authenticated client without channel binding', reason: 'method-without-binding' };
  }
  return { code: 'channel-binding-unavailable', message: "channel binding required but not supported by server's authentication request", reason: 'method-without-binding' };
}
