/**
 * `pgauth probe`'s human output: target, step table, server, auth, TLS,
 * protocol, the error and the diagnosis, expectations, trace.
 */
import { style, table, print } from '../render.js';
import type { ProbeResult } from '../../probe/probe.js';

/** Human output: target, step table, server, auth, TLS, the error and the diagnosis, expectations, trace. */
export function renderProbe(r: ProbeResult): void {
  const out: string[] = [];
  const hostText = r.target.hosts.map((h) => (h.host.startsWith('/') ? `${h.host} (socket) port ${h.port}` : `${h.host}:${h.port}`)).join(', ');
  out.push(`${style.strong('probe')} ${hostText}  user ${style.strong(r.target.user)}  database ${style.strong(r.target.database)}  sslmode=${r.target.sslmode}`);
  const rows = r.steps.map((s) => [s.attempt === 0 ? '' : String(s.attempt), s.ok ? style.ok(s.step) : style.fail(s.step), String(s.ms), s.detail]);
  if (rows.length) out.push(table(['try', 'step', 'ms', 'detail'], rows));
  const retried = r.attempts.filter((a) => !a.diagnostic).length > 1;
  if (retried) {
    for (const a of r.attempts) {
      const enc = a.encryption === 'plain' ? 'without TLS' : a.encryption === 'direct' ? 'direct TLS' : a.sslResponse === 'N' ? 'TLS refused, then without TLS' : 'TLS';
      const what = a.result === 'failed' ? `${a.errorCode ? a.errorCode + ' ' : ''}${(a.message ?? '').split('\n')[0]}` : a.result;
      const where = a.host.startsWith('/') || a.host.startsWith('@') ? `${a.host} port ${a.port}` : `${a.address ?? a.host}:${a.port}`;
      out.push(`  attempt ${a.attempt} (${where}, ${enc}${a.diagnostic ? ', diagnostic' : ''}): ${what}${a.cause ? style.strong('  <- the cause') : ''}`);
    }
  }
  const kindName = { postgresql: 'PostgreSQL', pgbouncer: 'PgBouncer', pgauth: 'pgauth serve', other: 'other', unknown: 'unknown' }[r.server.kind];
  out.push(`${style.head('server')}   ${kindName}${r.server.version ? ` ${r.server.version}` : ''} ${style.dim(`(${r.server.kindEvidence})`)}`);
  if (r.auth.method) {
    const bits: string[] = [r.auth.method];
    if (r.auth.mechanismsOffered) bits.push(`offered ${r.auth.mechanismsOffered.join(', ')}`);
    if (r.auth.mechanism) bits.push(`chose ${r.auth.mechanism}`);
    if (r.auth.iterations !== null) bits.push(`${r.auth.iterations} iterations`);
    bits.push(r.auth.channelBinding ? `channel binding ${r.auth.channelBinding}` : 'no channel binding');
    if (r.auth.serverSignature) bits.push('server signature verified');
    if (r.auth.passwordSource) bits.push(`password from ${r.auth.passwordSource}`);
    out.push(`${style.head('auth')}     ${bits.join('; ')}`);
  }
  out.push(`${style.head('protocol')} ${protocolLine(r.protocol)}`);
  if (r.tls.version) {
    out.push(
      `${style.head('tls')}      ${r.tls.version} ${r.tls.cipher ?? ''}; ${r.tls.subject ?? ''} issued by ${r.tls.issuer ?? '?'}, expires ${r.tls.validTo ?? '?'}; chain ${r.tls.chainVerified === null ? 'not checked' : r.tls.chainVerified ? 'verified' : 'NOT verified'}`,
    );
  } else out.push(`${style.head('tls')}      not used`);
  if (r.ok) {
    out.push(`${style.ok('OK')}       ${r.auth.currentUser !== null ? `logged in as ${r.auth.currentUser}` : r.diagnosis.cause}`);
  } else {
    const e = r.error;
    out.push(`${style.fail('FAILED')}   ${e.severity ? `${e.severity}:  ` : ''}${(e.message ?? '').replace(/\n/g, '\n         ')}${e.code ? style.dim(` (SQLSTATE ${e.code})`) : ''}`);
    if (e.detail) out.push(`         DETAIL:  ${e.detail}`);
    if (e.hint) out.push(`         HINT:  ${e.hint}`);
    out.push(`${style.head('diagnosis')} ${style.strong(r.diagnosis.code)}`);
    out.push(`  cause: ${r.diagnosis.cause}`);
    out.push(`  fix:   ${r.diagnosis.fix}`);
    if (r.diagnosis.hbaLine) out.push(`  pg_hba.conf line: ${style.strong(r.diagnosis.hbaLine)}`);
  }
  for (const x of r.expectations) out.push(`${x.met ? style.ok('expect ok ') : style.fail('expect FAILED')} ${x.name}: ${x.detail}`);
  if (r.trace) {
    out.push(style.head('trace'));
    for (const t of r.trace) out.push(`  ${String(t.ms).padStart(5)} ms  #${t.attempt} ${t.dir}  ${t.type}${t.detail ? `  ${t.detail}` : ''}`);
  }
  print(out.join('\n'));
}

/** "3.2, 32-byte cancel key" / "3.0 (the server negotiated down from 3.2)" / "not settled (asked for 3.9999 ...)". */
export function protocolLine(p: ProbeResult['protocol']): string {
  const asked = `asked for ${p.requested}${p.grease ? ' with _pq_.test_protocol_negotiation (grease)' : ''}`;
  if (p.version === null) return `not settled (${asked})`;
  const how = p.negotiated ? `the server negotiated ${p.version}${p.unrecognizedOptions.length ? ` and refused ${p.unrecognizedOptions.join(', ')}` : ''}; ${asked}` : asked;
  return `${p.version}${p.cancelKeyBytes !== null ? `, ${p.cancelKeyBytes}-byte cancel key` : ''} (${how})`;
}
