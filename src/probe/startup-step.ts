/**
 * The StartupMessage (with the protocol version libpq 18 would ask for, or
 * the grease request) and the startup-phase protocol checks: what a
 * NegotiateProtocolVersion, its absence, or an early error means.
 */
import type { BackendMessage } from '../protocol/index.js';
import { clientFailure, serverErrorOf } from './attempt.js';
import type { AttemptSession } from './attempt-session.js';
import type { ServerError } from './diagnose.js';
import { PROTOCOL_3_0, ProtocolNegotiation, protocolText, type ProtocolCheckFailure } from './protocol-version.js';

/** Sends the StartupMessage; returns the negotiation that follows its answer. */
export function sendStartup(s: AttemptSession): ProtocolNegotiation {
  const p = s.o.params;
  const startupParams: Array<[string, string]> = [
    ['user', p.user],
    ['database', p.dbname],
  ];
  if (p.applicationName) startupParams.push(['application_name', p.applicationName]);
  if (p.clientEncoding) startupParams.push(['client_encoding', p.clientEncoding]);
  if (p.replication) startupParams.push(['replication', p.replication]);
  if (p.options) startupParams.push(['options', p.options]);
  const protocol = new ProtocolNegotiation(p.protocol, s.o.grease === true);
  const pv = protocol.request.version;
  startupParams.push(...protocol.request.options);
  s.send({ type: 'StartupMessage', major: pv >>> 16, minor: pv & 0xffff, parameters: startupParams });
  s.startupSent = true;
  s.result.protocol = protocol.summary();
  s.step('startup', `user "${p.user}", database "${p.dbname}", protocol ${protocolText(pv)}${protocol.request.grease ? ' with _pq_.test_protocol_negotiation (grease)' : ''}`);
  return protocol;
}

/** Records the negotiation state; a failed check ends the attempt with its diagnosis code. */
export function protocolCheck(s: AttemptSession, protocol: ProtocolNegotiation, f: ProtocolCheckFailure | null): void {
  s.result.protocol = protocol.summary();
  if (!f) return;
  s.step('protocol', f.message, false);
  throw clientFailure(f.code, f.message);
}

/**
 * An ErrorResponse before any NegotiateProtocolVersion that refuses the
 * request itself: any error to a grease request (PostgreSQL sends 'v' before
 * anything else), or a protocol-level error (08P01, 0A000) to 3.2.
 */
function refusesProtocol(p: ProtocolNegotiation, e: ServerError): boolean {
  if (p.version !== null || p.negotiated) return false;
  if (p.request.grease) return true;
  return p.request.version > PROTOCOL_3_0 && (e.code === '08P01' || e.code === '0A000');
}

/** What a message before authentication says about the protocol version; throws when negotiation failed. */
export function checkStartupPhase(s: AttemptSession, protocol: ProtocolNegotiation, msg: BackendMessage): void {
  if (msg.type === 'ErrorResponse' && refusesProtocol(protocol, serverErrorOf(msg))) {
    const e = serverErrorOf(msg);
    s.result.startupRefusal = e;
    s.result.errorHadRoutine = e.routine !== null;
    const text = `server answered protocol ${protocolText(protocol.request.version)} with an error: ${e.severity ?? 'ERROR'}:  ${e.message}${e.code ? ` (SQLSTATE ${e.code})` : ''}`;
    s.step('protocol', text, false);
    throw clientFailure('protocol-negotiation-failed', text);
  }
  if (msg.type === 'NegotiateProtocolVersion') {
    s.result.negotiateProtocol = { version: msg.version, unrecognizedOptions: msg.unrecognizedOptions };
    protocolCheck(s, protocol, protocol.onNegotiate(msg));
    const unrec = msg.unrecognizedOptions.length ? `; unsupported: ${msg.unrecognizedOptions.join(', ')}` : '';
    s.step('protocol', `server negotiated protocol ${protocolText(msg.version)} (asked for ${protocolText(protocol.request.version)})${unrec}`);
  } else if (msg.type !== 'ErrorResponse') protocolCheck(s, protocol, protocol.onOtherMessage());
}
