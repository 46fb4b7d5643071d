/**
 * The scenario registry: names to modules, which ones combine, and the
 * exchange a session runs when serve was started with --scenario.
 */
import type { AuthContext, AuthExchange } from '../auth/index.js';
import { badSignature } from './bad-signature.js';
import { cleartext } from './cleartext.js';
import { earlyOk } from './early-ok.js';
import { hostileScram, type ScramTamper } from './hostile-scram.js';
import { hugeIterations } from './huge-iterations.js';
import { md5Downgrade } from './md5-downgrade.js';
import { nonceMismatch } from './nonce-mismatch.js';
import { oversizeMessage } from './oversize-message.js';
import { plusWithoutTls } from './plus-without-tls.js';
import { stripPlus } from './strip-plus.js';
import { SCENARIO_NAMES, type ClientSent, type Scenario, type ScenarioName, type SentRecorder } from './types.js';
import { wrongCertBinding } from './wrong-cert-binding.js';

export { SCENARIO_NAMES, type ClientSent, type Scenario, type ScenarioName, type SentRecorder } from './types.js';

export const SCENARIOS: Readonly<Record<ScenarioName, Scenario>> = {
  'strip-plus': stripPlus,
  'plus-without-tls': plusWithoutTls,
  'early-ok': earlyOk,
  'bad-signature': badSignature,
  'nonce-mismatch': nonceMismatch,
  cleartext,
  'md5-downgrade': md5Downgrade,
  'huge-iterations': hugeIterations,
  'oversize-message': oversizeMessage,
  'wrong-cert-binding': wrongCertBinding,
};

export function isScenarioName(name: string): name is ScenarioName {
  return (SCENARIO_NAMES as readonly string[]).includes(name);
}

/**
 * Checks that the scenarios can run together: each changes a different part
 * of the exchange, none replaces the method while another tampers with SCRAM,
 * and their TLS needs agree. Returns the problem, or undefined.
 */
export function scenarioConflict(names: readonly ScenarioName[]): string | undefined {
  const list = names.map((n) => SCENARIOS[n]);
  for (let i = 0; i < list.length; i++) {
    for (let j = i + 1; j < list.length; j++) {
      const a = list[i]!;
      const b = list[j]!;
      if (a.name === b.name) return `--scenario ${a.name} is given twice`;
      if (a.changes === b.changes || a.changes === 'method' || b.changes === 'method') {
        return `--scenario ${a.name} and ${b.name} do not combine (both change the ${a.changes === 'method' || b.changes === 'method' ? 'authentication method' : a.changes})`;
      }
      if (a.tls !== null && b.tls !== null && a.tls !== b.tls) return `--scenario ${a.name} needs ${a.tls ? '' : 'no '}TLS and ${b.name} the opposite`;
    }
  }
  return undefined;
}

/** Whether the scenarios need TLS (true), forbid it (false), or do not care. */
export function scenarioTls(names: readonly ScenarioName[]): boolean | null {
  return names.map((n) => SCENARIOS[n].tls).find((t) => t !== null) ?? null;
}

/**
 * The exchange for one connection: a method scenario runs alone; SCRAM
 * scenarios are merged into one hostile SCRAM server.
 */
export function scenarioExchange(names: readonly ScenarioName[], ctx: AuthContext, rec: SentRecorder): AuthExchange {
  const tamper: ScramTamper = {};
  for (const name of names) {
    const s = SCENARIOS[name];
    if (s.changes === 'method') return s.exchange(ctx, rec);
    Object.assign(tamper, s.tamper);
  }
  return hostileScram(ctx, rec, tamper);
}

/** What one connection to a scenario server did, for the conform table and the log. */
export interface ScenarioOutcome {
  event: 'scenario';
  time: string;
  scenarios: ScenarioName[];
  peer: string;
  user: string | null;
  tls: boolean;
  /** What the client sent, in order (kinds only, never values). */
  sent: ClientSent[];
  /** The client went on after ReadyForQuery (sent a query or Terminate): it accepted the login. */
  loggedIn: boolean;
}
