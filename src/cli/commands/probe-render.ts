/**
 * `pgauth probe`'s human output. By default a short summary: target (with
 * where the user and database names came from), server, method, TLS, the
 * result and the diagnosis. `--steps`/`-v` adds the step table, each attempt,
 * the protocol and the whole certificate; `--trace` every message.
 */
import { print, stdoutTableStyle, style, table } from '../render.js';
import { wrapLine } from '../table-layout.js';
import type { ProbeResult } from '../../probe/probe.js';
import { noChallengeMethods } from '../../probe/diagnose-entry.js';
import type { NameSource } from '../../probe/diagnose.js';

/** The label column of the summary (continuation lines indent to it). */
const LABEL = 9;
const label = (name: string, color: (s: string) => string = style.head) => color(name) + ' '.repeat(Math.max(1, LABEL - name.length));

const USER_ORIGIN: Record<NameSource, string> = { flag: '-U', target: 'from TARGET', env: 'PGUSER', default: 'the OS user name' };
const DB_ORIGIN: Record<NameSource, string> = { flag: '-d', target: 'from TARGET', env: 'PGDATABASE', default: 'the user name' };

function targetLine(r: ProbeResult): string {
  const hostText = r.target.hosts.map((h) => (h.host.startsWith('/') ? `${h.host} (socket) port ${h.port}` : `${h.host}:${h.port}`)).join(', ');
  const t = r.target;
  return `${label('probe', style.strong)}${hostText}  user ${style.strong(t.user)} ${style.dim(`(${USER_ORIGIN[t.userSource]})`)}  database ${style.strong(t.database)} ${style.dim(`(${DB_ORIGIN[t.databaseSource]})`)}  sslmode=${t.sslmode}`;
}

/** The SASL mechanism and its channel binding, never contradicting each other. */
export function mechanismText(a: ProbeResult['auth']): string | null {
  if (a.mechanism === null) return null;
  if (a.mechanism === 'SCRAM-SHA-256-PLUS') {
    return a.channelBinding ? `SCRAM-SHA-256-PLUS with channel binding ${a.channelBinding}` : 'SCRAM-SHA-256-PLUS (channel binding tls-server-end-point sent; the exchange did not complete)';
  }
  if (a.mechanism === 'SCRAM-SHA-256') return 'SCRAM-SHA-256 without channel binding';
  return a.mechanism;
}

function authLine(r: ProbeResult, verbose: boolean): string | null {
  const a = r.auth;
  if (!a.method) return null;
  const unix = r.target.hosts.every((h) => h.host.startsWith('/'));
  const bits: string[] = [a.method === 'none' ? `none: no password asked (${noChallengeMethods(unix, r.tls.version !== null)})` : a.method];
  if (verbose && a.mechanismsOffered) bits.push(`offered ${a.mechanismsOffered.join(', ')}`);
  const mech = mechanismText(a);
  if (mech) bits.push(mech);
  if (a.iterations !== null) bits.push(`${a.iterations} iterations`);
  if (a.serverSignature) bits.push('server signature verified');
  if (a.passwordSource) bits.push(`password from ${a.passwordSource}`);
  return `${label('auth')}${bits.join('; ')}`;
}

function tlsLine(r: ProbeResult, verbose: boolean): string {
  const t = r.tls;
  if (!t.version) return `${label('tls')}not used`;
  const chain = `chain ${t.chainVerified === null ? 'not checked' : t.chainVerified ? 'verified' : 'NOT verified'}`;
  if (!verbose) return `${label('tls')}${t.version}, ${t.subject ?? 'no subject'}, ${chain}`;
  return `${label('tls')}${t.version} ${t.cipher ?? ''}; ${t.subject ?? ''} issued by ${t.issuer ?? '?'}, expires ${t.validTo ?? '?'}; ${chain}`;
}

function attemptLines(r: ProbeResult): string[] {
  if (r.attempts.filter((a) => !a.diagnostic).length <= 1) return [];
  return r.attempts.map((a) => {
    const enc = a.encryption === 'plain' ? 'without TLS' : a.encryption === 'direct' ? 'direct TLS' : a.sslResponse === 'N' ? 'TLS refused, then without TLS' : 'TLS';
    const what = a.result === 'failed' ? `${a.errorCode ? a.errorCode + ' ' : ''}${(a.message ?? '').split('\n')[0]}` : a.result;
    const where = a.host.startsWith('/') || a.host.startsWith('@') ? `${a.host} port ${a.port}` : `${a.address ?? a.host}:${a.port}`;
    return `  attempt ${a.attempt} (${where}, ${enc}${a.diagnostic ? ', diagnostic' : ''}): ${what}${a.cause ? style.strong('  <- the cause') : ''}`;
  });
}

function resultLines(r: ProbeResult): string[] {
  if (r.ok) return [`${label('OK', style.ok)}${r.auth.currentUser !== null ? `logged in as ${r.auth.currentUser}` : r.diagnosis.cause}`];
  const e = r.error;
  const out = [`${label('FAILED', style.fail)}${e.severity ? `${e.severity}:  ` : ''}${(e.message ?? '').replace(/\n/g, ' ')}${e.code ? style.dim(` (SQLSTATE ${e.code})`) : ''}`];
  if (e.detail) out.push(`${label('')}DETAIL:  ${e.detail}`);
  if (e.hint) out.push(`${label('')}HINT:  ${e.hint}`);
  out.push(`${label('diagnosis')}${style.strong(r.diagnosis.code)}`);
  out.push(`${label('  cause:', (s) => s)}${r.diagnosis.cause}`);
  out.push(`${label('  fix:', (s) => s)}${r.diagnosis.fix}`);
  if (r.diagnosis.hbaLine) out.push(`${label('  hba:', (s) => s)}pg_hba.conf line: ${style.strong(r.diagnosis.hbaLine)}`);
  return out;
}

/** The report's lines (before wrapping to the terminal). */
export function probeLines(r: ProbeResult, opts: { steps: boolean }): string[] {
  const out = [targetLine(r)];
  if (opts.steps && r.steps.length) {
    out.push(table(['try', 'step', 'ms', 'detail'], r.steps.map((s) => [s.attempt === 0 ? '' : String(s.attempt), s.ok ? style.ok(s.step) : style.fail(s.step), String(s.ms), s.detail])));
  }
  out.push(...attemptLines(r));
  const kindName = { postgresql: 'PostgreSQL', pgbouncer: 'PgBouncer', pgauth: 'pgauth serve', other: 'other', unknown: 'unknown' }[r.server.kind];
  out.push(`${label('server')}${kindName}${r.server.version ? ` ${r.server.version}` : ''} ${style.dim(`(${r.server.kindEvidence})`)}`);
  const auth = authLine(r, opts.steps);
  if (auth) out.push(auth);
  if (opts.steps) out.push(`${label('protocol')}${protocolLine(r.protocol)}`);
  out.push(tlsLine(r, opts.steps), ...resultLines(r));
  for (const x of r.expectations) out.push(`${x.met ? style.ok('expect ok ') : style.fail('expect FAILED')} ${x.name}: ${x.detail}`);
  if (r.trace) {
    out.push(style.head('trace'));
    for (const t of r.trace) out.push(`  ${String(t.ms).padStart(5)} ms  #${t.attempt} ${t.dir}  ${t.type}${t.detail ? `  ${t.detail}` : ''}`);
  }
  return out;
}

/** Prints the report, each line wrapped to the terminal (continuations under the label column). */
export function renderProbe(r: ProbeResult, opts: { steps: boolean } = { steps: false }): void {
  const { width } = stdoutTableStyle();
  const indent = ' '.repeat(LABEL);
  print(probeLines(r, opts).flatMap((block) => block.split('\n').flatMap((l) => wrapLine(l, width, indent))).join('\n'));
}

/** "3.2, 32-byte cancel key" / "3.0 (the server negotiated down from 3.2)" / "not settled (asked for 3.9999 ...)". */
export function protocolLine(p: ProbeResult['protocol']): string {
  const asked = `asked for ${p.requested}${p.grease ? ' with _pq_.test_protocol_negotiation (grease)' : ''}`;
  if (p.version === null) return `not settled (${asked})`;
  const how = p.negotiated ? `the server negotiated ${p.version}${p.unrecognizedOptions.length ? ` and refused ${p.unrecognizedOptions.join(', ')}` : ''}; ${asked}` : asked;
  return `${p.version}${p.cancelKeyBytes !== null ? `, ${p.cancelKeyBytes}-byte cancel key` : ''} (${how})`;
}
