/**
 * The role commands as typed functions: data in, data out, typed errors.
 * No terminal here (prompts, colours and exit codes belong to src/cli).
 */
import { buildScramSecret, parseSecret, type SecretKind } from '../secrets/index.js';
import { memberNameProblem, type RoleAttributes } from './attributes.js';
import { formatRoleFile, roleNameProblem, secretProblem, type RoleLine } from './format.js';
import { parseRoleFile } from './parse.js';
import { effectiveRoles, type Finding, type RoleEntry } from './role-file.js';
import { isExpired, type RoleRecord } from './index.js';
import { exportSql, looksLikeSql, parseRolesSql } from './sql.js';
import { SqlSyntaxError } from './sql-lexer.js';
import { exportSqlSync } from './sql-sync.js';
import { RoleFileError, assertNoErrors, readRoleFile, updateRoleFile, type RoleFileSnapshot, type RolePathOptions } from './store.js';

/** The named role is not in the file (the CLI exits 1: "role missing"). */
export class RoleNotFoundError extends Error {
  override name = 'RoleNotFoundError';
  /** What callers switch on (never the message). */
  readonly code = 'ROLE_NOT_FOUND';
  constructor(
    readonly role: string,
    readonly path: string,
  ) {
    super(`role ${JSON.stringify(role)} is not in ${path}`);
  }
}

/** The role exists and --replace was not given (the CLI exits 3). */
export class RoleExistsError extends Error {
  override name = 'RoleExistsError';
  /** What callers switch on (never the message). */
  readonly code = 'ROLE_EXISTS';
  constructor(
    readonly role: string,
    readonly path: string,
    readonly line: number,
  ) {
    super(`role ${JSON.stringify(role)} already exists in ${path}:${line}; use --replace to overwrite it`);
  }
}

export type SecretMethod = SecretKind | 'empty';

export function secretMethod(secret: string): SecretMethod {
  return secret === '' ? 'empty' : parseSecret(secret).kind;
}

/** Checks a role name and its attributes can be written so that PgBouncer and pgauth read them back. */
export function validateRoleLine(role: RoleLine): void {
  const problem = roleNameProblem(role.name) ?? secretProblem(role.secret);
  if (problem) throw new RoleFileError(`role ${JSON.stringify(role.name)}: ${problem}`);
  for (const g of role.attrs.memberOf ?? []) {
    const p = memberNameProblem(g);
    if (p) throw new RoleFileError(`role ${JSON.stringify(role.name)}: member-of: ${p}`);
  }
}

/** The role's line with a new secret or attributes; its unknown words and its comment stay. */
const lineOf = (e: RoleEntry, attrs: RoleAttributes = e.attrs, secret = e.secret): RoleLine => ({
  name: e.name,
  secret,
  attrs,
  ...(e.extra !== undefined ? { extra: e.extra } : {}),
  ...(e.comment !== undefined ? { comment: e.comment } : {}),
});

/** Reads the file and refuses it when it has errors (before asking anybody for a password). */
export async function precheckRoleFile(path: string, what: string, opts: RolePathOptions = {}): Promise<RoleFileSnapshot> {
  const snap = await readRoleFile(path, { ...opts, forWrite: true });
  assertNoErrors(snap, what);
  return snap;
}

export interface AddRoleResult {
  action: 'added' | 'replaced';
  name: string;
  method: SecretMethod;
  path: string;
  findings: Finding[];
}

/** `previous`: the file as precheckRoleFile read it (its parse is reused when the file did not change). */
export async function addRole(req: { path: string; name: string; secret: string; attrs: RoleAttributes; replace: boolean; previous?: RoleFileSnapshot } & RolePathOptions): Promise<AddRoleResult> {
  const line: RoleLine = { name: req.name, secret: req.secret, attrs: req.attrs };
  validateRoleLine(line);
  const { result, snapshot } = await updateRoleFile(req.path, (snap) => {
    const existing = effectiveRoles(snap.parsed).get(req.name);
    if (existing && !req.replace) throw new RoleExistsError(req.name, req.path, existing.line);
    const edit = existing?.comment !== undefined ? { ...line, comment: existing.comment } : line;
    return { edits: new Map([[req.name, edit]]), result: existing ? ('replaced' as const) : ('added' as const) };
  }, req);
  return { action: result, name: req.name, method: secretMethod(req.secret), path: req.path, findings: snapshot.findings };
}

/** Sets a new secret, keeping the role's attributes (`pgauth passwd`). */
export async function setRoleSecret(req: { path: string; name: string; secret: string; previous?: RoleFileSnapshot } & RolePathOptions): Promise<{ name: string; method: SecretMethod; path: string; findings: Finding[] }> {
  const { snapshot } = await updateRoleFile(req.path, (snap) => {
    const e = effectiveRoles(snap.parsed).get(req.name);
    if (!e) throw new RoleNotFoundError(req.name, req.path);
    const line = lineOf(e, e.attrs, req.secret);
    validateRoleLine(line);
    return { edits: new Map([[req.name, line]]), result: undefined };
  }, req);
  return { name: req.name, method: secretMethod(req.secret), path: req.path, findings: snapshot.findings };
}

/** Changes attributes only, never the secret (`pgauth alter-role`). */
export async function alterRole(req: { path: string; name: string; change: (attrs: RoleAttributes) => RoleAttributes } & RolePathOptions): Promise<{ name: string; attrs: RoleAttributes; path: string; findings: Finding[] }> {
  const { result, snapshot } = await updateRoleFile(req.path, (snap) => {
    const e = effectiveRoles(snap.parsed).get(req.name);
    if (!e) throw new RoleNotFoundError(req.name, req.path);
    const attrs = req.change({ ...e.attrs, ...(e.attrs.memberOf ? { memberOf: [...e.attrs.memberOf] } : {}) });
    const line = lineOf(e, attrs);
    validateRoleLine(line);
    return { edits: new Map([[req.name, line]]), result: attrs };
  }, req);
  return { name: req.name, attrs: result, path: req.path, findings: snapshot.findings };
}

export async function removeRole(req: { path: string; name: string } & RolePathOptions): Promise<{ name: string; path: string; findings: Finding[] }> {
  const { snapshot } = await updateRoleFile(req.path, (snap) => {
    if (!effectiveRoles(snap.parsed).has(req.name)) throw new RoleNotFoundError(req.name, req.path);
    return { edits: new Map([[req.name, null]]), result: undefined };
  }, req);
  return { name: req.name, path: req.path, findings: snapshot.findings };
}

export interface RoleSummary {
  name: string;
  method: SecretMethod;
  /** SCRAM iteration count; null for other methods. */
  iterations: number | null;
  validUntil: string | null;
  expired: boolean;
  login: boolean;
  /** null = no limit. */
  connLimit: number | null;
  memberOf: string[];
  line: number;
  secret?: string;
}

/** A role for list-roles / export --format json; the kind the parser found is used, not parsed again. */
export function summarize(r: { name: string; secret: string; attrs: RoleAttributes; line: number; kind?: SecretMethod; iterations?: number }, now: Date, showSecret: boolean): RoleSummary {
  let method = r.kind;
  let iterations = r.iterations;
  if (method === undefined) {
    const secret = r.secret === '' ? undefined : parseSecret(r.secret);
    method = secret?.kind ?? 'empty';
    iterations = secret?.kind === 'scram-sha-256' ? secret.iterations : undefined;
  }
  const s: RoleSummary = {
    name: r.name,
    method,
    iterations: method === 'scram-sha-256' && iterations !== undefined ? iterations : null,
    validUntil: r.attrs.validUntil ?? null,
    expired: isExpired(r.attrs, now),
    login: !r.attrs.nologin,
    connLimit: r.attrs.connLimit ?? null,
    memberOf: r.attrs.memberOf ?? [],
    line: r.line,
  };
  if (showSecret) s.secret = r.secret;
  return s;
}

/** The roles PgBouncer would load, with the file's findings. */
export async function listRoles(req: { path: string; showSecrets: boolean; now?: Date } & RolePathOptions): Promise<{ path: string; roles: RoleSummary[]; findings: Finding[] }> {
  const snap = await readRoleFile(req.path, { ...req, mustExist: true });
  const now = req.now ?? new Date();
  const roles = [...effectiveRoles(snap.parsed).values()].sort((a, b) => a.line - b.line).map((e) => summarize(e, now, req.showSecrets));
  return { path: req.path, roles, findings: snap.findings };
}

export async function checkRoles(path: string, opts: RolePathOptions = {}): Promise<{ path: string; ok: boolean; roles: number; findings: Finding[] }> {
  const snap = await readRoleFile(path, { ...opts, mustExist: true });
  return {
    path,
    ok: !snap.findings.some((f) => f.severity === 'error'),
    roles: effectiveRoles(snap.parsed).size,
    findings: snap.findings,
  };
}

/** Effective roles of a role file as records, refusing a file with errors. */
export async function readRoleRecords(path: string, what: string, opts: RolePathOptions = {}): Promise<{ records: RoleRecord[]; findings: Finding[] }> {
  const snap = await readRoleFile(path, { ...opts, mustExist: true });
  assertNoErrors(snap, what);
  const records = [...effectiveRoles(snap.parsed).values()]
    .sort((a, b) => a.line - b.line)
    .map((e) => ({ name: e.name, secret: e.secret, attrs: e.attrs, line: e.line }));
  return { records, findings: snap.findings };
}

export type ExportFormat = 'userlist' | 'sql' | 'json';

export async function exportRoles(req: { path: string; format: ExportFormat; now?: Date; sync?: boolean } & RolePathOptions): Promise<{ text: string; skipped: Array<{ name: string; reason: string }>; findings: Finding[] }> {
  const { records, findings } = await readRoleRecords(req.path, 'export', req);
  if (req.format === 'userlist') return { text: formatRoleFile(records), skipped: [], findings };
  if (req.format === 'sql') {
    const { sql, skipped } = (req.sync ? exportSqlSync : exportSql)(records, req.path);
    return { text: sql, skipped, findings };
  }
  const now = req.now ?? new Date();
  const doc = { path: req.path, roles: records.map((r) => summarize(r, now, true)) };
  return { text: JSON.stringify(doc, null, 2) + '\n', skipped: [], findings };
}

export type ImportKind = 'userlist' | 'sql' | 'server';

export interface ImportOptions {
  /** A VALID UNTIL pgauth cannot read imports the role nologin instead of skipping it. */
  unreadableAsNologin?: boolean;
  /** Keep SQL plaintext passwords as they are instead of storing a SCRAM-SHA-256 verifier. */
  keepPlaintext?: boolean;
  /** The time relative VALID UNTIL values (`now`, `today` ...) are read at. */
  now?: Date;
}

/**
 * A plaintext PASSWORD becomes a SCRAM-SHA-256 verifier (random salt, 4096
 * iterations), as PostgreSQL stores it with password_encryption =
 * scram-sha-256; a ready SCRAM or md5 secret is kept as PostgreSQL keeps it.
 */
function hashPlaintext(roles: RoleRecord[], keep: boolean): RoleRecord[] {
  if (keep) return roles;
  return roles.map((r) => (parseSecret(r.secret).kind === 'plain' ? { ...r, secret: buildScramSecret(r.secret) } : r));
}

/** The first line (1-based) that is not valid UTF-8, or undefined. */
function firstInvalidUtf8Line(text: Buffer): number | undefined {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  for (let start = 0; start <= text.length; line++) {
    let end = text.indexOf(0x0a, start);
    if (end < 0) end = text.length;
    try {
      decoder.decode(text.subarray(start, end));
    } catch {
      return line;
    }
    start = end + 1;
  }
  return undefined;
}

/** Roles read from an import source (a userlist or SQL text). */
export function rolesFromSource(
  text: Buffer,
  sourceName: string,
  opts: ImportOptions = {},
): { kind: ImportKind; roles: RoleRecord[]; skipped: Array<{ name: string; reason: string }>; warnings: string[] } {
  const asText = text.toString('utf8');
  if (looksLikeSql(asText)) {
    const badLine = firstInvalidUtf8Line(text);
    if (badLine !== undefined) throw new RoleFileError(`${sourceName}:${badLine}: invalid byte sequence for encoding "UTF8"`, sourceName, badLine);
    try {
      const r = parseRolesSql(asText, { ...(opts.unreadableAsNologin ? { unreadableAsNologin: true } : {}), ...(opts.now ? { now: opts.now } : {}) });
      return { kind: 'sql', ...r, roles: hashPlaintext(r.roles, opts.keepPlaintext === true) };
    } catch (err) {
      if (err instanceof SqlSyntaxError) throw new RoleFileError(`${sourceName}:${err.line}: ${err.message}`, sourceName, err.line);
      throw err;
    }
  }
  const parsed = parseRoleFile(text);
  const firstError = parsed.findings.find((f) => f.severity === 'error');
  if (firstError) throw new RoleFileError(`${sourceName}:${firstError.line}: ${firstError.message}`, sourceName, firstError.line);
  const roles = [...effectiveRoles(parsed).values()].map((e) => ({ name: e.name, secret: e.secret, attrs: e.attrs, line: e.line }));
  return { kind: 'userlist', roles, skipped: [], warnings: parsed.findings.map((f) => `${sourceName}:${f.line}: ${f.message}`) };
}

export interface ImportReport {
  path: string;
  source: string;
  kind: ImportKind;
  added: string[];
  replaced: string[];
  skipped: Array<{ name: string; reason: string }>;
  warnings: string[];
}

/** Merges imported roles into the role file: new ones added, existing ones replaced only with `replace`. */
export async function mergeRoles(req: {
  path: string;
  source: string;
  kind: ImportKind;
  roles: readonly RoleRecord[];
  skipped?: Array<{ name: string; reason: string }>;
  warnings?: string[];
  replace: boolean;
} & RolePathOptions): Promise<ImportReport> {
  const report: ImportReport = {
    path: req.path,
    source: req.source,
    kind: req.kind,
    added: [],
    replaced: [],
    skipped: [...(req.skipped ?? [])],
    warnings: [...(req.warnings ?? [])],
  };
  await updateRoleFile(req.path, (snap) => {
    const existing = effectiveRoles(snap.parsed);
    const edits = new Map<string, RoleLine | null>();
    for (const r of req.roles) {
      const memberOf = (r.attrs.memberOf ?? []).filter((g) => {
        const p = memberNameProblem(g);
        if (p) report.warnings.push(`role ${JSON.stringify(r.name)}: membership in ${JSON.stringify(g)} left out: ${p}`);
        return p === undefined;
      });
      const attrs: RoleAttributes = { ...r.attrs };
      if (memberOf.length > 0) attrs.memberOf = memberOf;
      else delete attrs.memberOf;
      const line: RoleLine = { name: r.name, secret: r.secret, attrs };
      const problem = roleNameProblem(r.name) ?? secretProblem(r.secret);
      if (problem) {
        report.skipped.push({ name: r.name, reason: problem });
        continue;
      }
      if (r.secret !== '' && parseSecret(r.secret).kind === 'plain') report.warnings.push(`role ${JSON.stringify(r.name)}: imported a plaintext password`);
      const old = existing.get(r.name);
      if (old && !req.replace) {
        report.skipped.push({ name: r.name, reason: `already in ${req.path}:${old.line} (use --replace)` });
        continue;
      }
      edits.set(r.name, old?.comment !== undefined ? { ...line, comment: old.comment } : line);
      (old ? report.replaced : report.added).push(r.name);
    }
    return { edits, result: undefined };
  }, req);
  return report;
}
