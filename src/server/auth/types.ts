/**
 * One interface for every authentication method: an exchange gets the
 * client's 'p' messages and answers with messages to send, success (with
 * the identity for system_user), or a wire error. No sockets here.
 */
import type { AuthResponseKind, BackendMessage, RegularFrontendMessage } from '../../protocol/index.js';
import type { RoleRecord } from '../../roles/index.js';
import type { ConnectionFacts } from '../../hba/decision.js';
import type { WireError } from '../errors.js';

/** What the TLS layer learnt about the client certificate. */
export interface PeerCertificate {
  /** The certificate chained to --tls-ca. */
  verified: boolean;
  /** Subject CN, if any. */
  cn: string | undefined;
  /** Subject DN in RFC 2253 order (as PostgreSQL's peer_dn). */
  dn: string;
}

export interface AuthContext {
  facts: ConnectionFacts;
  /** The role from the role file, or undefined when unknown. */
  role: RoleRecord | undefined;
  /** A role file is loaded (without one, trust/cert/pam accept any name). */
  haveRoleFile: boolean;
  /** The role's secret may not be used: expired valid-until. */
  expired: boolean;
  /** Options of the deciding hba line (pamservice, clientcert, ...). */
  options: Readonly<Record<string, string>>;
  /** The client certificate over TLS, if one was presented. */
  peerCertificate: PeerCertificate | null;
  /** A CA is configured for client certificates (--tls-ca). */
  haveClientCa: boolean;
  /** tls-server-end-point of our certificate, when this connection uses TLS. */
  channelBinding: Buffer | null;
  /** Iteration count for mock SCRAM and for SCRAM over a plaintext secret. */
  iterations: number;
  /** Per-process random bytes for the mock salt (PostgreSQL's mock_auth_nonce). */
  mockNonce: Buffer;
  pamService: string;
  pamConfdir: string | undefined;
  /** --auth oauth / hba oauth: the issuer and scope to advertise, and the token validator (--oauth-jwks). */
  oauth?: OAuthSettings | null;
  /** map= of the deciding hba line: does the user map admit `pgUser` authenticated as `systemUser`? (--ident FILE) */
  usermap?: (map: string, pgUser: string, systemUser: string) => { ok: true } | { ok: false; reason: string };
  /** Aborted when the connection closes: work queued for it (PAM) is dropped. */
  signal?: AbortSignal;
}

export interface OAuthSettings {
  issuer: string | undefined;
  scope: string | undefined;
  /** Checks a token against the issuer and scope in force for this connection (an hba line's options win). */
  verify(token: string, issuer?: string, scope?: string): Promise<{ ok: true; identity: string } | { ok: false; reason: string }>;
}

export type AuthStep =
  /** Send these and wait for a 'p' message of this reading, at most maxLength bytes long. */
  | { kind: 'continue'; send: BackendMessage[]; expect: AuthResponseKind; maxLength: number }
  /** Authenticated: send `send` (e.g. AuthenticationSASLFinal) before AuthenticationOk. */
  | { kind: 'ok'; send: BackendMessage[]; identity: string | null; mechanism?: string }
  | { kind: 'fail'; error: WireError; mechanism?: string };

export interface AuthExchange {
  /** The method that actually ran (md5 may become scram-sha-256). */
  readonly method: string;
  start(): AuthStep | Promise<AuthStep>;
  respond(msg: RegularFrontendMessage): AuthStep | Promise<AuthStep>;
}

/** PG_MAX_SASL_MESSAGE_LENGTH for SCRAM. */
export const MAX_SASL_MESSAGE_LENGTH = 1024;
