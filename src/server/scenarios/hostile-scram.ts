/**
 * A SCRAM-SHA-256 server that can lie on purpose. Honest by default (it
 * checks the client's proof against the role's verifier and signs with its
 * ServerKey); each scenario changes one part: the mechanisms offered, the
 * server-first-message (nonce, iteration count, size) or the server
 * signature. Records what the client sent, never the values.
 */
import { randomBytes } from 'node:crypto';
import { SCRAM_KEY_LEN, SCRAM_RAW_NONCE_LEN, constantTimeEqual, hmac, sha256, xor } from '../../scram/index.js';
import type { AuthContext, AuthExchange, AuthStep } from '../auth/index.js';
import { scramSecretFor } from '../auth/scram.js';
import { MAX_SASL_MESSAGE_LENGTH } from '../auth/types.js';
import { fatal, passwordFailed } from '../errors.js';
import type { SentRecorder } from './types.js';

export const SCRAM = 'SCRAM-SHA-256';
export const SCRAM_PLUS = 'SCRAM-SHA-256-PLUS';

/** What a scenario may change; two scenarios combine when they set different fields. */
export interface ScramTamper {
  /** The mechanisms to offer, given whether the connection uses TLS. */
  mechanisms?(tls: boolean): string[];
  /** Replaces parts of the server-first-message. */
  serverFirst?(honest: { nonce: string; clientNonce: string; iterations: number }): { nonce?: string; iterations?: number; padding?: number };
  /** Signs over this channel-binding data instead of the client's own c= (a different certificate). */
  signatureBinding?(): Buffer;
  /** Flips the server signature. */
  wrongSignature?: boolean;
}

interface ClientFirst {
  gs2: string;
  bare: string;
  nonce: string;
}

function parseClientFirst(text: string): ClientFirst | undefined {
  // gs2-header = cbind-flag "," [authzid] "," ; then client-first-message-bare
  const m = /^((?:p=[^,]*|y|n),[^,]*,)(.*)$/s.exec(text);
  if (!m) return undefined;
  const nonce = /(?:^|,)r=([^,]*)/.exec(m[2]!)?.[1];
  return nonce ? { gs2: m[1]!, bare: m[2]!, nonce } : undefined;
}

export function hostileScram(ctx: AuthContext, rec: SentRecorder, tamper: ScramTamper): AuthExchange {
  const user = ctx.facts.user;
  const tls = ctx.channelBinding !== null;
  const mechanisms = tamper.mechanisms?.(tls) ?? (tls ? [SCRAM_PLUS, SCRAM] : [SCRAM]);
  const { secret } = scramSecretFor(ctx);
  const sasl = (data: string | Buffer): AuthStep => ({
    kind: 'continue',
    send: [{ type: 'AuthenticationSASLContinue', data: Buffer.from(data) }],
    expect: 'sasl',
    maxLength: MAX_SASL_MESSAGE_LENGTH + 4,
  });
  let first: ClientFirst | undefined;
  let serverFirst = '';
  let combinedNonce = '';

  const onClientFirst = (text: string): AuthStep => {
    first = parseClientFirst(text);
    if (!first) return { kind: 'fail', error: fatal('08P01', 'malformed SCRAM message') };
    const honest = { nonce: first.nonce + randomBytes(SCRAM_RAW_NONCE_LEN).toString('base64'), clientNonce: first.nonce, iterations: secret.iterations };
    const t = tamper.serverFirst?.(honest) ?? {};
    combinedNonce = t.nonce ?? honest.nonce;
    serverFirst = `r=${combinedNonce},s=${secret.salt.toString('base64')},i=${t.iterations ?? honest.iterations}`;
    // An extension attribute ("x=...") pads the message past the protocol's limits.
    const padding = t.padding ? `,x=${'A'.repeat(t.padding)}` : '';
    return sasl(serverFirst + padding);
  };

  const onClientFinal = (text: string): AuthStep => {
    const proofAt = text.lastIndexOf(',p=');
    if (proofAt < 0 || !first) return { kind: 'fail', error: fatal('08P01', 'malformed SCRAM message') };
    rec.sent('scram-proof');
    const withoutProof = text.slice(0, proofAt);
    const proof = Buffer.from(text.slice(proofAt + 3), 'base64');
    const nonce = /(?:^|,)r=([^,]*)/.exec(withoutProof)?.[1];
    const authMessage = `${first.bare},${serverFirst},${withoutProof}`;
    const clientSignature = hmac(secret.storedKey, authMessage);
    const proofOk = proof.length === SCRAM_KEY_LEN && constantTimeEqual(sha256(xor(proof, clientSignature)), secret.storedKey);
    if (nonce !== combinedNonce || !proofOk) return { kind: 'fail', error: passwordFailed(user, `Password does not match for user "${user}".`) };
    // Only a client that bound to our certificate (p=) is lied to about it.
    const otherBinding = first.gs2.startsWith('p=') ? tamper.signatureBinding?.() : undefined;
    const signedOver = otherBinding
      ? `${first.bare},${serverFirst},${withoutProof.replace(/^c=[^,]*/, `c=${Buffer.concat([Buffer.from(first.gs2), otherBinding]).toString('base64')}`)}`
      : authMessage;
    const signature = hmac(secret.serverKey, signedOver);
    if (tamper.wrongSignature) signature.writeUInt8(signature.readUInt8(0) ^ 0xff, 0);
    return { kind: 'ok', send: [{ type: 'AuthenticationSASLFinal', data: Buffer.from(`v=${signature.toString('base64')}`) }], identity: user, mechanism: SCRAM };
  };

  let gotFirst = false;
  return {
    method: 'scram-sha-256',
    start: () => ({ kind: 'continue', send: [{ type: 'AuthenticationSASL', mechanisms }], expect: 'sasl-initial', maxLength: MAX_SASL_MESSAGE_LENGTH + 4 }),
    respond(msg): AuthStep {
      if (msg.type === 'SASLInitialResponse') {
        rec.sent('sasl-initial');
        if (!mechanisms.includes(msg.mechanism)) return { kind: 'fail', error: fatal('08P01', 'client selected an invalid SASL authentication mechanism') };
        if (msg.data === null) return sasl(Buffer.alloc(0));
        gotFirst = true;
        return onClientFirst(msg.data.toString('utf8'));
      }
      if (msg.type !== 'SASLResponse') return { kind: 'fail', error: fatal('08P01', 'expected SASL response') };
      if (!gotFirst) {
        gotFirst = true;
        return onClientFirst(msg.data.toString('utf8'));
      }
      return onClientFinal(msg.data.toString('utf8'));
    },
  };
}
