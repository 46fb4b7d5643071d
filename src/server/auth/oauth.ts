/**
 * oauth (PostgreSQL 18): SASL OAUTHBEARER. Discovery (an empty auth value)
 * and a refused token both get the JSON error body with the issuer's
 * discovery URL and the scope, the client answers with a kvsep, and the
 * login fails with 28000 "OAuth bearer authentication failed". A token the
 * validator accepts logs in with AuthenticationOk and no SASLFinal; the
 * identity must equal the role, or pass the hba line's map= (a pg_ident-style
 * file, serve --ident), unless the line delegates it (delegate_ident_mapping=1). As auth-oauth.c; the token never reaches a log.
 */
import { OAUTHBEARER, OAuthBearerError, bearerToken, checkKvsepResponse, errorBody, parseInitialResponse } from '../../oauth/oauthbearer.js';
import { fatal } from '../errors.js';
import { methodFailure } from './failure.js';
import { type AuthContext, type AuthExchange, type AuthStep } from './types.js';
import { PG_MAX_AUTH_TOKEN_LENGTH } from '../../protocol/limits.js';

const MAX = PG_MAX_AUTH_TOKEN_LENGTH + 4;


export function oauthExchange(ctx: AuthContext): AuthExchange {
  const user = ctx.facts.user;
  const oauth = ctx.oauth;
  const issuer = ctx.options.issuer ?? oauth?.issuer;
  const scope = ctx.options.scope ?? oauth?.scope;
  const delegate = ctx.options.delegate_ident_mapping === '1';
  /** Why the login fails once the client has answered the error body (null: discovery). */
  let pending: string | null | undefined;

  const errorStep = (why: string | null): AuthStep => {
    pending = why;
    return { kind: 'continue', send: [{ type: 'AuthenticationSASLContinue', data: errorBody(issuer!, scope!) }], expect: 'sasl', maxLength: MAX };
  };

  const onToken = async (auth: string): Promise<AuthStep> => {
    const parsed = bearerToken(auth);
    if ('malformed' in parsed) return errorStep(`malformed OAuth bearer token: ${parsed.malformed}`);
    const verdict = await oauth!.verify(parsed.token, issuer, scope);
    if (!verdict.ok) return errorStep(`Validator failed to authorize the provided token: ${verdict.reason}.`);
    if (!delegate) {
      const map = ctx.options.map;
      if (map !== undefined) {
        const mapped = ctx.usermap ? ctx.usermap(map, user, verdict.identity) : { ok: false as const, reason: `map=${map} needs serve --ident FILE (the pg_ident.conf to read it from)` };
        if (!mapped.ok) return errorStep(mapped.reason);
      } else if (verdict.identity !== user) {
        return errorStep(`provided user name (${user}) and authenticated user name (${verdict.identity}) do not match`);
      }
    }
    return { kind: 'ok', send: [], identity: verdict.identity, mechanism: OAUTHBEARER };
  };

  return {
    method: 'oauth',
    start: (): AuthStep => {
      if (!issuer || !scope || !oauth) {
        // As PostgreSQL's generate_error_response without issuer/scope (and pgauth without a validator).
        return { kind: 'fail', error: fatal('XX000', 'OAuth is not properly configured for this user', { logDetail: 'The options "issuer" and "scope" must be set, and serve needs --oauth-jwks.' }) };
      }
      return { kind: 'continue', send: [{ type: 'AuthenticationSASL', mechanisms: [OAUTHBEARER] }], expect: 'sasl-initial', maxLength: MAX };
    },
    respond(msg): AuthStep | Promise<AuthStep> {
      try {
        if (msg.type === 'SASLInitialResponse') {
          if (msg.mechanism !== OAUTHBEARER) return { kind: 'fail', error: fatal('08P01', 'client selected an invalid SASL authentication mechanism') };
          if (msg.data === null) return { kind: 'continue', send: [{ type: 'AuthenticationSASLContinue', data: Buffer.alloc(0) }], expect: 'sasl', maxLength: MAX };
          return first(msg.data);
        }
        if (msg.type !== 'SASLResponse') return { kind: 'fail', error: fatal('08P01', 'expected SASL response') };
        if (pending === undefined) return first(msg.data);
        checkKvsepResponse(msg.data);
        return { kind: 'fail', error: methodFailure('oauth', user, pending ?? undefined), mechanism: OAUTHBEARER };
      } catch (e) {
        if (e instanceof OAuthBearerError) return { kind: 'fail', error: fatal(e.sqlstate, e.message, e.detail !== undefined ? { detail: e.detail } : {}) };
        throw e;
      }
    },
  };

  function first(data: Buffer): AuthStep | Promise<AuthStep> {
    const { auth } = parseInitialResponse(data);
    if (auth === '') return errorStep(null);
    return onToken(auth);
  }
}
