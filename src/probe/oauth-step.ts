/**
 * The probe as an OAUTHBEARER client (PostgreSQL 18's oauth method), once
 * libpq 18's require_auth and channel_binding checks passed
 * (policy/sasl-mechanism.ts), then oauth_issuer/oauth_client_id. With a token (--oauth-token-env/-stdin) it
 * sends it; without one it runs the discovery round and reports the issuer,
 * discovery URL and scope the server asks for. The token never reaches a
 * step, a trace or an error text.
 */
import { buildInitialResponse, KVSEP_RESPONSE, OAUTHBEARER, OAuthBearerError, parseErrorBody } from '../oauth/oauthbearer.js';
import { clientFailure } from './attempt.js';
import type { AttemptSession } from './attempt-session.js';

/** The issuer a discovery URL belongs to (RFC 8414 / OpenID: the part before /.well-known/). */
export function issuerOf(discoveryUrl: string): string {
  const at = discoveryUrl.indexOf('/.well-known/');
  return at < 0 ? discoveryUrl : discoveryUrl.slice(0, at);
}

/** Sends the token, or the discovery request; returns whether a token went out. */
export function sendOAuthInitial(s: AttemptSession): void {
  const token = s.o.oauthToken;
  const { oauthIssuer, oauthClientId } = s.o.params;
  const info = {
    tokenSent: token !== undefined,
    tokenSource: token?.source ?? null,
    status: null,
    discoveryUrl: null,
    issuer: null,
    scope: null,
    // libpq 18 refuses before sending anything without both (checked against libpq 18's psql).
    libpqError: oauthIssuer && oauthClientId ? null : 'server requires OAuth authentication, but oauth_issuer and oauth_client_id are not both set',
  };
  s.result.auth.oauth = info;
  s.result.auth.method = 'oauth';
  s.result.auth.mechanism = OAUTHBEARER;
  s.send({ type: 'SASLInitialResponse', mechanism: OAUTHBEARER, data: buildInitialResponse(token?.value ?? null) }, 'oauth');
  s.step('oauth', token ? `bearer token sent (${token.source})` : 'no token: discovery request (empty auth value) sent');
}

/** The server's error body: record what it asks for, then answer with the kvsep PostgreSQL expects. */
export function onOAuthErrorBody(s: AttemptSession, data: Buffer): void {
  const info = s.result.auth.oauth!;
  let body;
  try {
    body = parseErrorBody(data);
  } catch (e) {
    if (e instanceof OAuthBearerError) throw clientFailure('protocol-error', e.message);
    throw e;
  }
  info.status = body.status;
  info.discoveryUrl = body.openidConfiguration;
  info.issuer = body.openidConfiguration ? issuerOf(body.openidConfiguration) : null;
  info.scope = body.scope;
  s.step('oauth', `server: status ${body.status}, discovery ${body.openidConfiguration ?? '(none)'}, scope ${body.scope ?? '(none)'}`, false);
  const wanted = s.o.params.oauthIssuer;
  if (wanted && info.issuer !== null && body.openidConfiguration !== null && wanted !== info.issuer && wanted !== body.openidConfiguration) {
    // libpq 18 stops here, before answering.
    info.libpqError ??= `server's discovery document at ${body.openidConfiguration} (issuer "${info.issuer}") is incompatible with oauth_issuer (${wanted})`;
  }
  s.send({ type: 'SASLResponse', data: KVSEP_RESPONSE });
}
