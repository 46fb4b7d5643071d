/**
 * Hostile-server scenarios (SPEC §10): a scenario replaces or tampers with
 * the authentication exchange on purpose, so a client's refusals can be
 * tested. Each one is a small module; this file is their shared contract.
 */
import type { AuthContext, AuthExchange } from '../auth/index.js';
import type { ScramTamper } from './hostile-scram.js';

export const SCENARIO_NAMES = [
  'strip-plus',
  'plus-without-tls',
  'early-ok',
  'bad-signature',
  'nonce-mismatch',
  'cleartext',
  'md5-downgrade',
  'huge-iterations',
  'oversize-message',
  'wrong-cert-binding',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

/** What a client sent the hostile server: never the value, only its kind. */
export type ClientSent = 'sasl-initial' | 'scram-proof' | 'cleartext-password' | 'md5-hash';

/** Notes what the client of one connection sent (the exchange calls it). */
export interface SentRecorder {
  sent(kind: ClientSent): void;
}

interface ScenarioText {
  readonly name: ScenarioName;
  /** What the server does, in one line. */
  readonly does: string;
  /** Whether the server needs TLS (true), must run without it (false), or either (null). */
  readonly tls: boolean | null;
  /** What a safe client does, and the libpq settings under which libpq does it. */
  readonly safe: string;
  /** When libpq (15 and 18, as tested) refuses it: `always`, `with <settings>`, or `never`. */
  readonly libpq: string;
}

/**
 * A scenario either replaces the authentication method (and runs alone), or
 * tampers with one part of an otherwise honest SCRAM exchange (and combines
 * with scenarios that tamper with other parts).
 */
export type Scenario =
  | (ScenarioText & { readonly changes: 'method'; exchange(ctx: AuthContext, rec: SentRecorder): AuthExchange })
  | (ScenarioText & { readonly changes: 'mechanisms' | 'server-first' | 'server-final'; readonly tamper: ScramTamper });
