/**
 * `hba check`'s engine: which pg_hba.conf line a connection matches, with
 * the lines tried before it, or the line to add (SPEC §5).
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { usageError } from '../../errors.js';
import { warn } from '../../context.js';
import { andMore } from '../../../files/wording.js';
import type { ConnectionFacts } from '../../../hba/decision.js';
import * as hba from '../../../hba/index.js';
import type { MismatchReason } from '../../../hba/index.js';
import { loadRoleFile } from '../../../roles/index.js';

export interface HbaCheckOptions {
  file: string;
  user: string;
  database: string;
  /** Client IP for a TCP connection; undefined with local. */
  addr?: string;
  local: boolean;
  ssl: boolean;
  replication: boolean;
  /** Role file for +group / samerole; undefined: ./userlist.txt or PGAUTH_ROLES when present. */
  roles?: string;
  /** --allow-unsafe-path: read a role file another user could change (with a warning). */
  allowUnsafeRolesPath?: boolean;
  /** Method for the proposed line. */
  method: string;
  /** Memberships read from a live server (--roles postgresql://...), with the URI to report (no password). */
  live?: { source: string; roles: string[]; memberOf: Map<string, string[]> };
}

export interface HbaCheckResult {
  file: string;
  connection: { type: 'local' | 'host'; address: string | null; ssl: boolean; user: string; database: string; replication: boolean };
  decision: 'method' | 'reject' | 'no-entry';
  method: string | null;
  options: Record<string, string>;
  /** The deciding line. */
  line: { file: string; lineNumber: number; ruleNumber: number; text: string } | null;
  /** PostgreSQL's FATAL message for reject / no entry, else null. */
  message: string | null;
  /** A line that would admit the connection (for reject: to put before the rejecting line). */
  proposedLine: string | null;
  /** Rules tried before the decision, each with the first field that did not match. */
  skipped: Array<{ file: string; lineNumber: number; reason: MismatchReason; text: string }>;
  rolesFile: string | null;
  /**
   * With no role file: lines skipped only because their +group or samerole
   * needs memberships nobody gave (they may well match); else empty.
   */
  membershipsUnknown: Array<{ file: string; lineNumber: number; text: string }>;
  /** For a refused TCP connection without TLS: the line that would admit it over TLS (PostgreSQL's "requires TLS" case), else null. */
  withSsl: { method: string; lineNumber: number; file: string } | null;
}

/** Who is a member of what, for +group and samerole: from --roles, PGAUTH_ROLES or ./userlist.txt when present. */
async function roleMemberships(o: HbaCheckOptions): Promise<{ groupsOf: (role: string) => string[]; roleExists?: (role: string) => boolean; rolesFile: string | null }> {
  if (o.live) {
    const { memberOf, roles, source } = o.live;
    const known = new Set(roles);
    return { groupsOf: (role) => memberOf.get(role) ?? [], roleExists: (role) => known.has(role), rolesFile: source };
  }
  const rolesPath = o.roles ?? (process.env.PGAUTH_ROLES || undefined) ?? (existsSync('userlist.txt') ? 'userlist.txt' : undefined);
  if (rolesPath === undefined) return { groupsOf: () => [], rolesFile: null };
  const { roles, findings } = await loadRoleFile(rolesPath, { allowUnsafePath: o.allowUnsafeRolesPath === true });
  for (const f of findings) if (f.code === 'unsafe-path') warn(`${rolesPath}: ${f.message}`);
  // As serve does: a role file PgBouncer would mis-read gives no trustworthy memberships.
  const bad = findings.filter((f) => f.severity === 'error');
  if (bad.length > 0) {
    throw usageError(`${rolesPath}:${bad[0]!.line}: ${bad[0]!.message}${andMore(bad.length - 1, 'error')} (--roles)`);
  }
  const known = new Set<string>(roles.keys());
  for (const r of roles.values()) for (const g of r.attrs.memberOf ?? []) known.add(g);
  return { groupsOf: (role) => roles.get(role)?.attrs.memberOf ?? [], roleExists: (role) => known.has(role), rolesFile: rolesPath };
}

export async function hbaCheck(o: HbaCheckOptions): Promise<HbaCheckResult> {
  if (o.local === (o.addr !== undefined)) throw usageError('give exactly one of --addr IP or --local');
  if (o.local && o.ssl) throw usageError('--ssl needs a TCP connection (--addr), not --local');
  if (o.addr !== undefined && !isIP(o.addr)) throw usageError(`--addr must be a numeric IP address, not "${o.addr}"`);
  if (o.method === 'reject') throw usageError('--method reject would not admit the connection: give the method for the proposed line');

  const remoteAddress = o.addr ?? null;
  const facts: ConnectionFacts = {
    transport: o.local ? 'unix' : 'tcp',
    remoteAddress,
    ssl: o.ssl,
    gssenc: false,
    user: o.user,
    database: o.database,
    replication: o.replication,
  };
  // The proposed line must be one PostgreSQL would load (peer only on local, cert only on hostssl, ...).
  const methodError = hba.hbaLineError(hba.proposeHbaLine(facts, o.method));
  if (methodError) throw usageError(`--method ${o.method}: ${methodError}`);

  const file = await hba.loadHbaFile(o.file);
  const err = hba.firstError(file);
  if (err) {
    err.message = `${err.message} — PostgreSQL would refuse to load this file (see \`pgauth hba lint ${o.file}\`)`;
    throw err;
  }

  const { groupsOf, roleExists, rolesFile } = await roleMemberships(o);

  const needsDns = remoteAddress !== null && file.rules.some((r) => r.address?.kind === 'hostname');
  const resolver = needsDns ? await hba.prepareSystemResolver(remoteAddress) : undefined;
  const verdicts = hba.explainHba(file.rules, facts, groupsOf, {
    ...(resolver ? { resolver } : {}),
    ...(roleExists ? { roleExists } : {}),
  });
  const decision = hba.decisionOf(verdicts);
  let withSsl: HbaCheckResult['withSsl'] = null;
  if (decision.kind !== 'method' && facts.transport === 'tcp' && !facts.ssl) {
    const tls = hba.matchHba(file, { ...facts, ssl: true }, groupsOf, { ...(resolver ? { resolver } : {}), ...(roleExists ? { roleExists } : {}) });
    if (tls.kind === 'method') withSsl = { method: tls.method, lineNumber: tls.line!, file: tls.file! };
  }
  const last = verdicts.at(-1);
  const matched = last?.matched ? last.rule : undefined;
  const skipped = verdicts
    .filter((v) => !v.matched)
    .map((v) => ({ file: v.rule.file, lineNumber: v.rule.lineNumber, reason: v.reason!, text: v.rule.rawLine.trim() }));
  const membershipsUnknown =
    rolesFile !== null
      ? []
      : verdicts
          .filter((v) => !v.matched && (v.reason === 'user' || v.reason === 'database') && hba.usesMemberships(v.rule))
          // Only where a membership is all that stands in the way (not a database or user that differs anyway).
          .filter((v) => hba.matchesIfMember(v.rule, facts, { ...(resolver ? { resolver } : {}) }))
          .map((v) => ({ file: v.rule.file, lineNumber: v.rule.lineNumber, text: v.rule.rawLine.trim() }));
  return {
    file: o.file,
    connection: { type: o.local ? 'local' : 'host', address: remoteAddress, ssl: o.ssl, user: o.user, database: o.database, replication: o.replication },
    decision: decision.kind,
    method: decision.kind === 'method' ? decision.method : decision.kind === 'reject' ? 'reject' : null,
    options: decision.kind === 'method' ? { ...decision.options } : {},
    line: matched ? { file: matched.file, lineNumber: matched.lineNumber, ruleNumber: matched.ruleNumber, text: matched.rawLine.trim() } : null,
    message: decision.kind === 'method' ? null : hba.hbaRejectMessage(facts, decision.kind),
    proposedLine: decision.kind === 'method' ? null : hba.proposeHbaLine(facts, o.method),
    skipped,
    rolesFile,
    membershipsUnknown,
    withSsl,
  };
}
