/**
 * Driving one `src/server/auth/<method>.ts` exchange without a socket: a
 * context to start it with, the client's 'p' messages built byte by byte and
 * decoded by the protocol's parser, and what the exchange answers turned back
 * into the bytes the server would send. Expected bytes come from
 * test/protocol/bytes.ts (written from the protocol docs, not the Writer).
 */
import { expect } from 'vitest';
import { parseFrontend, serializeBackend, type AuthResponseKind, type RegularFrontendMessage } from '../../../src/protocol/index.js';
import type { AuthContext, AuthExchange, AuthStep } from '../../../src/server/auth/index.js';
import type { RoleRecord } from '../../../src/roles/index.js';
import { i32, msg, raw, str } from '../../protocol/bytes.js';

/** A TCP connection from 127.0.0.1 as `user` to database postgres, no TLS, no role unless given. */
export function authContext(user: string, over: Partial<AuthContext> = {}): AuthContext {
  return {
    facts: { transport: 'tcp', remoteAddress: '127.0.0.1', ssl: false, gssenc: false, user, database: 'postgres', replication: false },
    role: undefined,
    haveRoleFile: true,
    expired: false,
    options: {},
    peerCertificate: null,
    haveClientCa: false,
    channelBinding: null,
    iterations: 4096,
    mockNonce: Buffer.alloc(32, 7),
    pamService: 'postgresql',
    pamConfdir: undefined,
    ...over,
  };
}

export const role = (name: string, secret: string): RoleRecord => ({ name, secret, attrs: {}, line: 1 });

/** The bytes the server sends for a step's messages. */
export const sent = (step: AuthStep): Buffer => (step.kind === 'fail' ? Buffer.alloc(0) : serializeBackend(...step.send));

/** 'p' with this body, read as the exchange expects (`kind` from its last continue step). */
export function clientSends(kind: AuthResponseKind, ...body: number[][]): RegularFrontendMessage {
  const bytes = msg('p', ...body);
  expect(bytes.readInt32BE(1)).toBe(bytes.length - 1);
  return parseFrontend(bytes[0]!, bytes.subarray(5), kind);
}

/** PasswordMessage: String password. */
export const passwordMessage = (password: string) => clientSends('password', str(password));

/** SASLInitialResponse: String mechanism, Int32 length (-1: none), Byte[n] data. */
export const saslInitialResponse = (mechanism: string, data: string | null) =>
  clientSends('sasl-initial', str(mechanism), data === null ? i32(-1) : [...i32(Buffer.byteLength(data)), ...raw(data)]);

/** SASLResponse: Byte[n] data. */
export const saslResponse = (data: string) => clientSends('sasl', raw(data));

/** AuthenticationCleartextPassword: 'R', Int32(8), Int32(3). */
export const AUTH_CLEARTEXT = msg('R', i32(3));
/** AuthenticationOk-less success: nothing sent before AuthenticationOk. */
export const NOTHING = Buffer.alloc(0);

/** The FATAL ErrorResponse bytes of a failed step: S, V, C, M (and D when sent), then the terminator. */
export function errorBytes(step: AuthStep): Buffer {
  if (step.kind !== 'fail') throw new Error(`expected a failure, got ${step.kind}`);
  return serializeBackend({ type: 'ErrorResponse', fields: step.error.fields() });
}

export function fatalBytes(sqlstate: string, message: string, detail?: string): Buffer {
  const field = (code: string, value: string) => [code.charCodeAt(0), ...str(value)];
  return msg('E', field('S', 'FATAL'), field('V', 'FATAL'), field('C', sqlstate), field('M', message), detail !== undefined ? field('D', detail) : [], [0]);
}

/** A failed step: its ErrorResponse bytes and the detail kept for the server log only. */
export function expectFailure(step: AuthStep, sqlstate: string, message: string, logDetail?: string): void {
  expect(errorBytes(step)).toEqual(fatalBytes(sqlstate, message));
  if (step.kind === 'fail') expect(step.error.logDetail).toBe(logDetail);
}

/** start() and respond() may answer now or later; the tests read both the same way. */
export const start = async (ex: AuthExchange): Promise<AuthStep> => ex.start();
export const respond = async (ex: AuthExchange, m: RegularFrontendMessage): Promise<AuthStep> => ex.respond(m);
