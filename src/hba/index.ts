/**
 * The pg_hba.conf engine: one parser and matcher for `serve --hba`,
 * `hba check`, `hba lint` and the probe's advice (SPEC §5).
 */
import { readdirSync, statSync } from 'node:fs';
import { BoundedReadError, readFileBounded } from '../files/read-bounded.js';
import type { AuthDecision, ConnectionFacts, MethodSelector } from './decision.js';
import { HbaFileError, parseHbaFile, type HbaFile } from './file.js';
import { decisionOf, explainHba, type MatchOptions } from './match.js';
import type { AuthFileSource, ListResult, ReadResult } from './tokenize.js';
import { isInitdbTemplate, renderInitdbTemplate } from './template.js';
import type { ParseOptions } from './parse.js';
import { formatIpAddress, parseIpAddress } from './address.js';

export { HbaFileError, hbaFileRules, parseHbaFile, type HbaFile, type HbaFileLine, type HbaFileRulesRow } from './file.js';
export { explainHba, decisionOf, matchesIfMember, membershipClosure, usesMemberships, type MatchOptions, type MismatchReason, type RuleVerdict, type InterfaceAddress } from './match.js';
export { hostsFileResolver, staticResolver, prepareSystemResolver, type HostResolver } from './resolver.js';
export { type HbaRule, type AddressSpec, type ConnectionType, type HbaBuild, type ParseOptions, HBA_METHODS, CONNECTION_TYPES, DEFAULT_HBA_VERSION } from './parse.js';
export type { AuthFileSource } from './tokenize.js';
export { checkUsermap, type IdentFile, type UsermapVerdict } from './ident.js';
export { isInitdbTemplate, renderInitdbTemplate } from './template.js';

/** Files larger than this are refused (a pg_hba.conf is a few kilobytes). */
export const MAX_HBA_FILE_BYTES = 16 * 1024 * 1024;

const ERRNO_TEXT: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
  ENAMETOOLONG: 'File name too long',
};

function errnoText(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return (code && ERRNO_TEXT[code]) ?? (e instanceof Error ? e.message : String(e));
}

/** The real file system, bounded. */
export const fileSystemSource: AuthFileSource = {
  read(path: string): ReadResult {
    try {
      return { ok: true, text: readFileBounded(path, MAX_HBA_FILE_BYTES).toString('utf8') };
    } catch (e) {
      if (e instanceof BoundedReadError && e.code === undefined) return { ok: false, missing: false, message: e.message };
      return { ok: false, missing: (e as NodeJS.ErrnoException)?.code === 'ENOENT', message: errnoText(e) };
    }
  },
  list(dir: string): ListResult {
    try {
      const names = readdirSync(dir).filter((n) => {
        try {
          return !statSync(`${dir}/${n}`).isDirectory();
        } catch {
          return false;
        }
      });
      return { ok: true, names };
    } catch (e) {
      return { ok: false, message: errnoText(e) };
    }
  },
};

/**
 * sslEnabled: the server has TLS; false gives hostssl lines PostgreSQL's
 * "cannot match because SSL is disabled" warning (default unknown, not
 * checked). serverVersion, build, oauthValidatorLibraries: see ParseOptions.
 */
export interface LoadOptions extends ParseOptions {
  /** Read initdb's template (pg_hba.conf.sample) as initdb would write it. Default false. */
  renderTemplate?: boolean;
  /** File access (tests). */
  source?: AuthFileSource;
}

/** Parse a file (following include/@file relative to it); every line with its errors, like pg_hba_file_rules. */
export async function loadHbaFile(path: string, opts: LoadOptions = {}): Promise<HbaFile> {
  const source = opts.source ?? fileSystemSource;
  const { renderTemplate: _r, source: _s, ...parseOpts } = opts;
  if (opts.renderTemplate) {
    const top = source.read(path);
    if (!top.ok) throw new HbaFileError(`could not open file "${path}": ${top.message}`, path);
    if (isInitdbTemplate(top.text)) {
      return parseHbaFile(path, source, { ...parseOpts, text: renderInitdbTemplate(top.text), template: true });
    }
    return parseHbaFile(path, source, { ...parseOpts, text: top.text });
  }
  return parseHbaFile(path, source, parseOpts);
}

/** First-match decision, as PostgreSQL's check_hba. groupsOf(role) = roles it is a member of (from the role file's member-of). */
export function matchHba(file: HbaFile, facts: ConnectionFacts, groupsOf: (role: string) => string[], opts: MatchOptions = {}): AuthDecision {
  return decisionOf(explainHba(file.rules, facts, groupsOf, opts));
}

/** An error naming the first line at fault, as PostgreSQL logs it. */
export function firstError(file: HbaFile): HbaFileError | undefined {
  const e = file.errors[0];
  if (!e) return undefined;
  const where = e.line !== null ? `${e.file}:${e.line}: ` : '';
  const more = file.errors.length > 1 ? ` (and ${file.errors.length - 1} more line${file.errors.length > 2 ? 's' : ''} with errors)` : '';
  return new HbaFileError(`${where}${e.message}${more}`, e.file, e.line ?? undefined);
}

/** For serve --hba: load, throw HbaFileError (with file:line) if any line has an error (PostgreSQL refuses to load such a file), else a MethodSelector. */
export async function loadHbaSelector(
  path: string,
  groupsOf: (role: string) => string[],
  opts: LoadOptions & MatchOptions = {},
): Promise<MethodSelector> {
  const file = await loadHbaFile(path, opts);
  const err = firstError(file);
  if (err) throw err;
  return (facts) => matchHba(file, facts, groupsOf, opts);
}

/** PostgreSQL's encryption words in hba error messages. */
export function encryptionState(facts: Pick<ConnectionFacts, 'ssl' | 'gssenc'>): string {
  return facts.gssenc ? 'GSS encryption' : facts.ssl ? 'SSL encryption' : 'no encryption';
}

/** The FATAL message PostgreSQL sends for an implicit or explicit reject (SQLSTATE 28000). */
export function hbaRejectMessage(facts: ConnectionFacts, kind: 'no-entry' | 'reject'): string {
  const ip = facts.transport === 'tcp' && facts.remoteAddress ? parseIpAddress(facts.remoteAddress) : undefined;
  const host = facts.transport === 'unix' || !facts.remoteAddress ? '[local]' : ip ? formatIpAddress(ip) : facts.remoteAddress;
  const enc = encryptionState(facts);
  if (kind === 'no-entry') {
    return facts.replication
      ? `no pg_hba.conf entry for replication connection from host "${host}", user "${facts.user}", ${enc}`
      : `no pg_hba.conf entry for host "${host}", user "${facts.user}", database "${facts.database}", ${enc}`;
  }
  return facts.replication
    ? `pg_hba.conf rejects replication connection for host "${host}", user "${facts.user}", ${enc}`
    : `pg_hba.conf rejects connection for host "${host}", user "${facts.user}", database "${facts.database}", ${enc}`;
}

const KEYWORDS = new Set(['all', 'sameuser', 'samerole', 'samegroup', 'replication']);

/** A database or role name written so pg_hba.conf reads it back literally. */
export function quoteHbaName(name: string): string {
  // A leading slash makes a regular expression even inside quotes: anchor one that matches the name only.
  if (name.startsWith('/')) return `"/^${name.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&').replace(/"/g, '""')}$"`;
  const plain = /^[^\s,#"]+$/.test(name) && !KEYWORDS.has(name) && !name.startsWith('@') && !name.startsWith('+');
  return plain ? name : `"${name.replace(/"/g, '""')}"`;
}

/** The exact line that would admit this connection with `method` (for hba check and the probe's advice): e.g. `hostssl  appdb  alice  127.0.0.1/32  scram-sha-256`. */
export function proposeHbaLine(facts: ConnectionFacts, method: string): string {
  const db = facts.replication ? 'replication' : quoteHbaName(facts.database);
  const user = quoteHbaName(facts.user);
  if (facts.transport === 'unix' || !facts.remoteAddress) return ['local', db, user, method].join('  ');
  const ip = parseIpAddress(facts.remoteAddress);
  const bits = ip?.family === 6 ? 128 : 32;
  const type = facts.gssenc ? 'hostgssenc' : facts.ssl ? 'hostssl' : 'host';
  return [type, db, user, `${facts.remoteAddress}/${bits}`, method].join('  ');
}

const NO_FILES: AuthFileSource = {
  read: () => ({ ok: false, missing: true, message: 'No such file or directory' }),
  list: () => ({ ok: false, message: 'No such file or directory' }),
};

/** PostgreSQL's error for one pg_hba.conf line on its own (e.g. a proposed line with a method that cannot go there), or undefined. */
export function hbaLineError(line: string): string | undefined {
  return parseHbaFile('(line)', NO_FILES, { text: `${line}\n` }).errors[0]?.message;
}

/** Reads a pg_ident.conf from disk; a file PostgreSQL would not load is an error naming the file and line. */
export async function loadIdentFile(path: string): Promise<import('./ident.js').IdentFile> {
  const { parseIdentFile } = await import('./ident.js');
  const r = parseIdentFile(path, fileSystemSource);
  if ('error' in r) throw new Error(r.error);
  if (r.errors.length > 0) throw new Error(`${r.errors[0]}${r.errors.length > 1 ? ` (and ${r.errors.length - 1} more)` : ''}`);
  return r;
}
