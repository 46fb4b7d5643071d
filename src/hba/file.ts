/**
 * A whole pg_hba.conf: tokenize (with includes), parse every line, keep every
 * line's error like the pg_hba_file_rules view, and number the valid rules.
 */
import { HbaTokenizer, type AuthFileSource, type TokenizedLine } from './tokenize.js';
import { optionsColumn } from './auth-options.js';
import { addressColumns, parseHbaLine, type HbaRule, type ParseOptions } from './parse.js';

/** A line of the file (or of a file it includes) with its rule or its error. */
export interface HbaFileLine {
  file: string;
  lineNumber: number;
  rawLine: string;
  rule?: HbaRule;
  error?: string;
  /** Shown in pg_hba_file_rules.error although the line loads (hostssl with ssl=off). */
  warning?: string;
}

export interface HbaFile {
  /** The top-level file. */
  path: string;
  /** Every non-blank, non-comment line, includes expanded in place, in evaluation order. */
  lines: HbaFileLine[];
  /** The valid rules, in evaluation order (rule.ruleNumber from 1). */
  rules: HbaRule[];
  /** Lines with errors, and file-level errors (line null), in order. */
  errors: Array<{ file: string; line: number | null; message: string }>;
  /** The file was initdb's template (pg_hba.conf.sample) and was read as initdb writes it. */
  template: boolean;
}

export class HbaFileError extends Error {
  override name = 'HbaFileError';
  /** What callers switch on (never the message). */
  readonly code = 'HBA_FILE';
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

export interface ParseFileOptions extends ParseOptions {
  /** Text to use for the top-level file instead of reading it (included files are still read). */
  text?: string;
  template?: boolean;
}

/**
 * Parses `path` through `source`. Throws HbaFileError only when the top-level
 * file itself cannot be read (PostgreSQL refuses to start then too).
 */
export function parseHbaFile(path: string, source: AuthFileSource, opts: ParseFileOptions = {}): HbaFile {
  const tokenizer = new HbaTokenizer(source);
  let tokenized: { lines: TokenizedLine[] };
  if (opts.text !== undefined) {
    tokenized = { lines: [] };
    tokenizer.tokenizeText(path, opts.text, tokenized.lines, 0);
  } else {
    const top = tokenizer.tokenizeTop(path);
    if ('error' in top) throw new HbaFileError(top.error, path);
    tokenized = top;
  }
  const lines: HbaFileLine[] = [];
  const rules: HbaRule[] = [];
  const errors: HbaFile['errors'] = [];
  for (const t of tokenized.lines) {
    const base = { file: t.file, lineNumber: t.lineNumber, rawLine: t.rawLine };
    if (t.error !== undefined) {
      lines.push({ ...base, error: t.error });
      errors.push({ file: t.file, line: t.lineNumber, message: t.error });
      continue;
    }
    const parsed = parseHbaLine(t, opts);
    if (!parsed.ok) {
      lines.push({ ...base, error: parsed.error });
      errors.push({ file: t.file, line: t.lineNumber, message: parsed.error });
      continue;
    }
    parsed.rule.ruleNumber = rules.length + 1;
    rules.push(parsed.rule);
    lines.push({ ...base, rule: parsed.rule, ...(parsed.warning ? { warning: parsed.warning } : {}) });
  }
  // load_hba: a file without a single rule would lock everyone out.
  if (errors.length === 0 && rules.length === 0) {
    errors.push({ file: path, line: null, message: `configuration file "${path}" contains no entries` });
  }
  return { path, lines, rules, errors, template: opts.template === true };
}

/** One row of the pg_hba_file_rules view (PostgreSQL 16 columns). */
export interface HbaFileRulesRow {
  rule_number: number | null;
  file_name: string;
  line_number: number | null;
  type: string | null;
  database: string[] | null;
  user_name: string[] | null;
  address: string | null;
  netmask: string | null;
  auth_method: string | null;
  options: string[] | null;
  error: string | null;
}


/** The file as the pg_hba_file_rules view shows it: a row per line, errors included. */
export function hbaFileRules(file: HbaFile): HbaFileRulesRow[] {
  // The view numbers only lines without an error text: a line that loads with a warning (hostssl
  // with ssl = off, hostgssenc without GSSAPI) gets none and does not count (PostgreSQL 16+).
  let viewRule = 0;
  const rows: HbaFileRulesRow[] = file.lines.map((l) => {
    if (!l.rule) {
      return { rule_number: null, file_name: l.file, line_number: l.lineNumber, type: null, database: null, user_name: null, address: null, netmask: null, auth_method: null, options: null, error: l.error ?? null };
    }
    const r = l.rule;
    const { address, netmask } = addressColumns(r);
    return {
      rule_number: l.warning ? null : ++viewRule,
      file_name: r.file,
      line_number: r.lineNumber,
      type: r.type,
      database: r.databases.map((t) => t.string),
      user_name: r.users.map((t) => t.string),
      address,
      netmask,
      auth_method: r.method,
      options: optionsColumn(r),
      error: l.warning ?? null,
    };
  });
  for (const e of file.errors) {
    if (e.line === null) rows.push({ rule_number: null, file_name: e.file, line_number: null, type: null, database: null, user_name: null, address: null, netmask: null, auth_method: null, options: null, error: e.message });
  }
  return rows;
}
