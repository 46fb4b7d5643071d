/**
 * scram-sha-256: AuthenticationSASL (SCRAM-SHA-256-PLUS first over TLS),
 * SASLContinue with the server-first-message, SASLFinal + AuthenticationOk
 * (CheckSASLAuth, auth-scram.c). Works from the stored verifier: no PBKDF2
 * per login. A role without a usable SCRAM secret (unknown, expired, md5)
 * gets PostgreSQL's mock exchange: a stable fake salt, the real iteration
 * count, and a failure only at the proof.
 */
import { createHash } from 'node:crypto';
import { SCRAM_RAW_NONCE_LEN, ScramError, createScramServer, mockScramSecret, type ScramServer } from '../../scram/index.js';
import { buildScramSecret, parseScramSecret, type ScramSecret } from '../../secrets/index.js';
import { fatal, passwordFailed } from '../errors.js';
import { pooledRandomBytes } from '../random-pool.js';
import { roleSecret, secretProblem } from './secret.js';
import { MAX_SASL_MESSAGE_LENGTH, type AuthContext, type AuthExchange, type AuthStep } from './types.js';

const SCRAM = 'SCRAM-SHA-256';
const SCRAM_PLUS = 'SCRAM-SHA-256-PLUS';
const SASL_MAX = MAX_SASL_MESSAGE_LENGTH + 4;

/** Verifiers derived from plaintext secrets (PgBouncer allows them), made once per role and secret. */
const derived = new Map<string, ScramSecret>();
const MAX_DERIVED = 10_000;

function scramSecretFromPlain(ctx: AuthContext, password: string): ScramSecret {
  const key = `${ctx.facts.user}\0${password}`;
  let s = derived.get(key);
  if (!s) {
    // A stable salt per role, so a client sees the same salt on every login.
    const salt = createHash('sha256').update('pgauth plain\0').update(ctx.facts.user).update(ctx.mockNonce).digest().subarray(0, 16);
    s = parseScramSecret(buildScramSecret(password, { iterations: ctx.iterations, salt }));
    if (derived.size >= MAX_DERIVED) derived.clear();
    derived.set(key, s);
  }
  return s;
}

/** The secret to run SCRAM with, and why the exchange is doomed (log detail) if it is. */
export function scramSecretFor(ctx: AuthContext): { secret: ScramSecret; doomed?: string } {
  const user = ctx.facts.user;
  const problem = secretProblem(ctx);
  const mock = () => mockScramSecret(user, ctx.mockNonce, ctx.iterations);
  if (problem) return { secret: mock(), doomed: problem };
  const secret = roleSecret(ctx.role!);
  if (secret.kind === 'scram-sha-256') return { secret };
  if (secret.kind === 'plain') return { secret: scramSecretFromPlain(ctx, secret.text) };
  return { secret: mock(), doomed: `User "${user}" does not have a valid SCRAM secret.` };
}

function wireOf(e: unknown): AuthStep {
  if (e instanceof ScramError) {
    return { kind: 'fail', error: fatal(e.sqlstate ?? '08P01', e.message, e.detail !== undefined ? { detail: e.detail } : {}) };
  }
  throw e;
}

export function scramExchange(ctx: AuthContext): AuthExchange {
  const user = ctx.facts.user;
  const mechanisms = ctx.channelBinding ? [SCRAM_PLUS, SCRAM] : [SCRAM];
  let server: ScramServer | undefined;
  let mechanism: string | undefined;
  let gotFirst = false;
  let doomed: string | undefined;

  const clientFirst = (text: string): AuthStep => {
    gotFirst = true;
    const serverFirst = server!.handleClientFirst(text);
    return { kind: 'continue', send: [{ type: 'AuthenticationSASLContinue', data: Buffer.from(serverFirst) }], expect: 'sasl', maxLength: SASL_MAX };
  };

  return {
    method: 'scram-sha-256',
    start: (): AuthStep => ({ kind: 'continue', send: [{ type: 'AuthenticationSASL', mechanisms }], expect: 'sasl-initial', maxLength: SASL_MAX }),
    respond(msg): AuthStep {
      try {
        if (msg.type === 'SASLInitialResponse') {
          if (!mechanisms.includes(msg.mechanism)) {
            return { kind: 'fail', error: fatal('08P01', 'client selected an invalid SASL authentication mechanism') };
          }
          mechanism = msg.mechanism;
          const chosen = scramSecretFor(ctx);
          doomed = chosen.doomed;
          server = createScramServer({
            mechanism: msg.mechanism as typeof SCRAM | typeof SCRAM_PLUS,
            secret: chosen.secret,
            tlsAvailable: ctx.channelBinding !== null,
            // PostgreSQL's server nonce: base64 of 18 random bytes.
            nonce: pooledRandomBytes(SCRAM_RAW_NONCE_LEN).toString('base64'),
            ...(ctx.channelBinding ? { channelBindingData: ctx.channelBinding } : {}),
            ...(doomed !== undefined ? { doomed: true } : {}),
          });
          if (msg.data === null) {
            // No initial response: an empty challenge asks for the client-first-message.
            return { kind: 'continue', send: [{ type: 'AuthenticationSASLContinue', data: Buffer.alloc(0) }], expect: 'sasl', maxLength: SASL_MAX };
          }
          return clientFirst(msg.data.toString('utf8'));
        }
        if (msg.type !== 'SASLResponse' || !server) throw new Error('expected SASLResponse');
        if (!gotFirst) return clientFirst(msg.data.toString('utf8'));
        const result = server.handleClientFinal(msg.data.toString('utf8'));
        if (!result.ok) return { kind: 'fail', error: passwordFailed(user, doomed ?? `Password does not match for user "${user}".`), ...(mechanism ? { mechanism } : {}) };
        return { kind: 'ok', send: [{ type: 'AuthenticationSASLFinal', data: Buffer.from(result.serverFinal) }], identity: user, mechanism: mechanism! };
      } catch (e) {
        return wireOf(e);
      }
    },
  };
}
