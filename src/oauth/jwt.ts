/**
 * pgauth's built-in OAuth validator: bearer tokens that are JWTs signed by
 * a key in a JWKS file, checked with jose (signature, `iss`, `exp`/`nbf`,
 * `aud` when asked, the required scopes), the identity taken from a claim.
 * And the other side: minting test tokens for a key in that file.
 */
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, importJWK, jwtVerify, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';
import { errors } from 'jose';
import { PG_MAX_AUTH_TOKEN_LENGTH } from '../protocol/limits.js';

/** JWKS files above this size are refused (a key set is a few KiB). */
export const MAX_JWKS_BYTES = 1024 * 1024;
/** Tokens above this are refused before any parsing (PG_MAX_AUTH_TOKEN_LENGTH bounds the message anyway). */
export const MAX_TOKEN_BYTES = PG_MAX_AUTH_TOKEN_LENGTH;

export class JwksError extends Error {
  override readonly name = 'JwksError';
}

const PRIVATE_PARAMS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Parses a JWKS document (public or private keys) and checks its shape. */
export function parseJwks(text: string, source: string): JSONWebKeySet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new JwksError(`${source}: not JSON (${(e as Error).message})`);
  }
  const keys = (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new JwksError(`${source}: expected a JWKS document, {"keys": [...]}, with at least one key`);
  keys.forEach((k, i) => {
    if (typeof k !== 'object' || k === null || typeof (k as JWK).kty !== 'string') throw new JwksError(`${source}: key ${i + 1} has no "kty"`);
    if ((k as JWK).kty === 'oct') throw new JwksError(`${source}: key ${i + 1} is a shared secret (kty "oct"); use an asymmetric key (EC, RSA, OKP)`);
  });
  return doc as JSONWebKeySet;
}

/** The same key set with every private parameter removed (what a server needs to verify). */
export function publicJwks(jwks: JSONWebKeySet): JSONWebKeySet {
  return {
    keys: jwks.keys.map((k) => {
      const pub: Record<string, unknown> = { ...k };
      for (const p of PRIVATE_PARAMS) delete pub[p];
      return pub as JWK;
    }),
  };
}

export interface TokenRules {
  issuer: string;
  /** Scopes the token must grant (space-separated in the hba/--oauth-scope value). */
  scope: string;
  audience?: string;
  /** The claim that names the identity. */
  claim: string;
  /** Seconds of clock skew allowed on exp/nbf. */
  clockTolerance?: number;
}

export type TokenVerdict =
  | { ok: true; identity: string }
  /** Why the token was refused: for the server log only, never the token. */
  | { ok: false; reason: string };

function grantedScopes(payload: JWTPayload): Set<string> {
  const s = payload.scope ?? payload.scp;
  if (typeof s === 'string') return new Set(s.split(' ').filter(Boolean));
  if (Array.isArray(s)) return new Set(s.filter((x): x is string => typeof x === 'string'));
  return new Set();
}

/** A verifier for one key set: call it with a token. */
export function tokenVerifier(jwks: JSONWebKeySet, rules: TokenRules): (token: string) => Promise<TokenVerdict> {
  const keys = createLocalJWKSet(publicJwks(jwks));
  const required = rules.scope.split(' ').filter(Boolean);
  return async (token) => {
    if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) return { ok: false, reason: 'token is too long' };
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: rules.issuer,
        ...(rules.audience !== undefined ? { audience: rules.audience } : {}),
        clockTolerance: rules.clockTolerance ?? 0,
      }));
    } catch (e) {
      return { ok: false, reason: refusal(e) };
    }
    const granted = grantedScopes(payload);
    const missing = required.filter((s) => !granted.has(s));
    if (missing.length > 0) return { ok: false, reason: `token does not grant the scope ${missing.map((s) => `"${s}"`).join(', ')}` };
    const identity = payload[rules.claim];
    if (typeof identity !== 'string' || identity === '') return { ok: false, reason: `token has no "${rules.claim}" claim to take the identity from` };
    return { ok: true, identity };
  };
}

/** jose's error, in words for a log line (never including the token). */
function refusal(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'token has expired ("exp")';
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'iss') return 'token was issued by another issuer ("iss")';
    if (e.claim === 'aud') return 'token is for another audience ("aud")';
    if (e.claim === 'nbf') return 'token is not valid yet ("nbf")';
    return `token claim "${e.claim}" is not acceptable (${e.reason})`;
  }
  if (e instanceof errors.JWKSNoMatchingKey) return 'token is signed by a key that is not in the JWKS';
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'token signature does not verify';
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return 'token is not a valid JWT';
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported) return 'token uses an algorithm the JWKS key does not allow';
  return 'token could not be verified';
}

export interface MintRequest {
  jwks: JSONWebKeySet;
  /** Key id to sign with; default the first private key. */
  kid?: string;
  issuer: string;
  subject: string;
  /** The identity claim when it is not `sub`. */
  claim?: string;
  audience?: string;
  scope?: string;
  /** Seconds from now; negative makes an expired token. */
  lifetime: number;
  /** Seconds from now before which the token is not valid. */
  notBefore?: number;
  now?: Date;
}

/** Signs a test token with a private key of the set. */
export async function mintToken(req: MintRequest): Promise<string> {
  const candidates = req.jwks.keys.filter((k) => typeof k.d === 'string' && (req.kid === undefined || k.kid === req.kid));
  const jwk = candidates[0];
  if (!jwk) throw new JwksError(req.kid === undefined ? 'the JWKS holds no private key to sign with' : `the JWKS holds no private key with kid "${req.kid}"`);
  const alg = jwk.alg ?? defaultAlg(jwk);
  const key = await importJWK(jwk, alg);
  const now = Math.floor((req.now ?? new Date()).getTime() / 1000);
  const claims: JWTPayload = { ...(req.scope !== undefined ? { scope: req.scope } : {}) };
  if (req.claim !== undefined && req.claim !== 'sub') claims[req.claim] = req.subject;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg, typ: 'JWT', ...(jwk.kid !== undefined ? { kid: jwk.kid } : {}) })
    .setIssuer(req.issuer)
    .setSubject(req.subject)
    .setIssuedAt(now)
    .setExpirationTime(now + req.lifetime);
  if (req.audience !== undefined) jwt.setAudience(req.audience);
  if (req.notBefore !== undefined) jwt.setNotBefore(now + req.notBefore);
  return jwt.sign(key);
}

function defaultAlg(jwk: JWK): string {
  if (jwk.kty === 'EC') return jwk.crv === 'P-384' ? 'ES384' : jwk.crv === 'P-521' ? 'ES512' : 'ES256';
  if (jwk.kty === 'OKP') return 'EdDSA';
  return 'RS256';
}

/** A new ES256 key as a private JWKS document (for `pgauth oauth-token --new-jwks`). */
export async function newJwks(kid: string): Promise<JSONWebKeySet> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { keys: [{ ...jwk, kid, alg: 'ES256', use: 'sig' }] };
}
