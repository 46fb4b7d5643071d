/**
 * The dependency picture of src/, as data, and a pure checker for it:
 * `checkImports(files)` reads every import (value, `import type`,
 * `export … from`, side-effect, dynamic `import()`) of every file and returns
 * one line per broken rule. test/architecture.test.ts runs it on the real
 * tree and on fake files that must be reported.
 */
import { posix } from 'node:path';

/** A source file, its path relative to src/ ('server/auth/scram.ts'). */
export interface SourceFile {
  path: string;
  text: string;
}

export type ImportKind = 'import' | 'import type' | 'export from' | 'dynamic import()';

export interface ImportRef {
  kind: ImportKind;
  specifier: string;
  line: number;
}

/**
 * Top-level folder of src/ → the other folders it may import (its own is
 * always allowed). Lower layers first. A folder missing here is an error:
 * a new folder takes its place in the picture on purpose.
 */
export const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  protocol: [], // the codec: nothing of ours
  scram: [],
  secrets: ['scram'],
  files: [],
  oauth: ['protocol'],
  pam: ['protocol'],
  hba: ['files'],
  roles: ['files', 'secrets', 'protocol'],
  // server and probe never import each other. Both use protocol, scram, secrets, hba and files;
  // beyond those, today: server also roles (the role file it serves), oauth (OAUTHBEARER) and
  // pam (the pam method); probe also roles (a type: RoleRecord in import-live.ts) and oauth
  // (OAUTHBEARER's client side in oauth-step.ts).
  server: ['protocol', 'scram', 'secrets', 'hba', 'files', 'roles', 'oauth', 'pam'],
  probe: ['protocol', 'scram', 'secrets', 'hba', 'files', 'roles', 'oauth'],
  // `pgauth conform` runs the server's scenarios against a client under test.
  conform: ['roles', 'secrets', 'server'],
  // Report formats for CI systems (JUnit, SARIF, GitHub workflow commands) and the --wait/--targets policy: pure.
  ci: [],
  // The GitHub Action runs the CLI as a process and reports through ci.
  action: ['ci'],
  cli: ['protocol', 'scram', 'secrets', 'files', 'oauth', 'pam', 'hba', 'roles', 'server', 'probe', 'conform', 'ci'],
};

/** Terminal libraries: only src/cli may load them. */
export const TERMINAL_PACKAGES = [/^chalk$/, /^@inquirer\//, /^cli-table3$/, /^commander$/];

/** The one file that may end the process. */
export const PROCESS_EXIT_FILE = 'cli/main.ts';

/**
 * Comments out: block comments, and line comments that start a line or
 * follow whitespace (so 'https://…' inside a string stays). Newlines are kept,
 * so line numbers still match.
 */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[ \t])\/\/.*$/gm, '$1');
}

const lineAt = (text: string, index: number) => text.slice(0, index).split('\n').length;

/** Every import of a file, in the order they appear. */
export function importsOf(text: string): ImportRef[] {
  const code = stripComments(text);
  const found: Array<ImportRef & { index: number }> = [];
  const add = (kind: ImportKind, specifier: string, index: number) => found.push({ kind, specifier, index, line: lineAt(code, index) });
  // import … from 'x' / import type … from 'x' / export … from 'x' (the clause: names, braces, commas, *, as, type).
  for (const m of code.matchAll(/^[ \t]*(import|export)\s+(type\s+)?[\w$*{},\s]*?\bfrom\s*['"]([^'"]+)['"]/gm)) {
    const typeOnly = m[2] !== undefined || /^[ \t]*import\s*\{(\s*type\s+[\w$]+(\s+as\s+[\w$]+)?\s*,?)+\s*\}/.test(m[0]);
    add(m[1] === 'export' ? 'export from' : typeOnly ? 'import type' : 'import', m[3]!, m.index);
  }
  // import 'x' (side effect only).
  for (const m of code.matchAll(/^[ \t]*import\s*['"]([^'"]+)['"]/gm)) add('import', m[1]!, m.index);
  // import('x'), in code or in a type (`import('../x.js').T`).
  for (const m of code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) add('dynamic import()', m[1]!, m.index);
  return found.sort((a, b) => a.index - b.index).map(({ kind, specifier, line }) => ({ kind, specifier, line }));
}

/** The top-level folder of a path relative to src/ ('.' for a file at the root). */
export const folderOf = (path: string): string => (path.includes('/') ? path.slice(0, path.indexOf('/')) : '.');

/** Where a relative import lands, relative to src/ (undefined for a package or node: module). */
export function resolveInSrc(fromPath: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  return posix.normalize(posix.join(posix.dirname(fromPath), specifier));
}

/** Every broken rule, one line each: `path:line: kind 'specifier': why`. Empty when the tree is clean. */
export function checkImports(files: readonly SourceFile[]): string[] {
  const problems: string[] = [];
  for (const f of files) {
    const folder = folderOf(f.path);
    const allowed = MAY_IMPORT[folder];
    if (allowed === undefined) problems.push(`${f.path}: folder "${folder}" is not in MAY_IMPORT (test/helpers/architecture.ts)`);
    for (const imp of importsOf(f.text)) {
      const where = `${f.path}:${imp.line}: ${imp.kind} '${imp.specifier}'`;
      const target = resolveInSrc(f.path, imp.specifier);
      if (target === undefined) {
        if (folder !== 'cli' && TERMINAL_PACKAGES.some((p) => p.test(imp.specifier))) problems.push(`${where}: a terminal library outside src/cli`);
        continue;
      }
      if (target.startsWith('..')) {
        problems.push(`${where}: leaves src/`);
        continue;
      }
      const to = folderOf(target);
      if (to !== folder && allowed !== undefined && !allowed.includes(to)) {
        problems.push(`${where}: ${folder} may not import ${to} (may: ${allowed.join(', ') || 'nothing of ours'})`);
      }
    }
    if (f.path !== PROCESS_EXIT_FILE) {
      const code = stripComments(f.text);
      for (const m of code.matchAll(/\bprocess\.exit\b(?!Code)/g)) problems.push(`${f.path}:${lineAt(code, m.index)}: process.exit outside ${PROCESS_EXIT_FILE}`);
    }
  }
  return problems;
}
