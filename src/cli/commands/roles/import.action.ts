import type { Command } from 'commander';
import { globalOptions, printJson, warn, type GlobalOptions } from '../../context.js';
import type { PasswordFlags } from '../../password.js';
import { print, style } from '../../render.js';
import { mergeRoles, precheckRoleFile, rolesFromSource } from '../../../roles/commands.js';
import { MAX_ROLE_FILE_BYTES, RoleFileError } from '../../../roles/store.js';
import type { RoleRecord } from '../../../roles/index.js';
import { readFileBounded } from '../../../files/read-bounded.js';
import { pathOpts, rolesPath, warnUnsafePath, withRoleErrors } from './role-file.js';
import { isServerUri, readLive } from './live.js';
import type { RoleFileFlags } from './options.js';

interface ImportFlags extends RoleFileFlags, PasswordFlags {
  replace?: boolean;
  importUnreadableAsNologin?: boolean;
  keepPlaintext?: boolean;
}

/** The roles a source holds, before they are merged into the role file. */
interface Found {
  kind: 'userlist' | 'sql' | 'server';
  roles: RoleRecord[];
  skipped: Array<{ name: string; reason: string }>;
  warnings: string[];
}

/** Import sources are bounded like role files. */
async function readSource(source: string): Promise<Buffer> {
  if (source === '-') {
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of process.stdin) {
      const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
      total += b.length;
      if (total > MAX_ROLE_FILE_BYTES) throw new RoleFileError(`stdin: more than ${MAX_ROLE_FILE_BYTES} bytes`);
      chunks.push(b);
    }
    return Buffer.concat(chunks);
  }
  try {
    return readFileBounded(source, MAX_ROLE_FILE_BYTES);
  } catch (err) {
    throw new RoleFileError(`cannot read ${source}: ${(err as Error).message}`, source);
  }
}

/** The roles of a live server (postgresql:// URI), and the URI to report (without its password); the probe's code is loaded only for this source. */
async function fromServer(uri: string, flags: ImportFlags, g: GlobalOptions): Promise<{ found: Found; source: string }> {
  return readLive(uri, flags, g, async (live, opts) => ({
    found: { kind: 'server', roles: await live.fetchRolesFromServer(uri, opts), skipped: [], warnings: [] },
    source: live.redactUri(uri),
  }));
}

/** A userlist or SQL dump from a file or stdin ('-'). */
async function fromFile(source: string, flags: ImportFlags): Promise<{ found: Found; source: string }> {
  const opts = { unreadableAsNologin: flags.importUnreadableAsNologin === true, keepPlaintext: flags.keepPlaintext === true };
  return { found: rolesFromSource(await readSource(source), source === '-' ? 'stdin' : source, opts), source };
}

type Report = Awaited<ReturnType<typeof mergeRoles>>;

function renderReport(report: Report, path: string): string {
  const lines = [`${style.strong(`import from ${report.source}`)} (${report.kind}) into ${path}:`];
  lines.push(`  ${style.ok('added')}    ${report.added.length ? report.added.join(', ') : style.dim('none')}`);
  lines.push(`  ${style.ok('replaced')} ${report.replaced.length ? report.replaced.join(', ') : style.dim('none')}`);
  lines.push(`  ${style.warn('skipped')}  ${report.skipped.length ? '' : style.dim('none')}`);
  for (const s of report.skipped) lines.push(`    ${s.name}: ${s.reason}`);
  return lines.join('\n');
}

export const run = (sourceArg: string, flags: ImportFlags, cmd: Command): Promise<void> =>
  withRoleErrors(async () => {
    const g = globalOptions(cmd);
    const path = rolesPath(flags);
    warnUnsafePath((await precheckRoleFile(path, 'import into', pathOpts(flags))).findings, path);
    const { found, source } = isServerUri(sourceArg) ? await fromServer(sourceArg, flags, g) : await fromFile(sourceArg, flags);
    const report = await mergeRoles({ path, source, replace: flags.replace === true, ...found, ...pathOpts(flags) });
    for (const w of report.warnings) warn(w);
    if (g.json) return printJson(report);
    print(renderReport(report, path));
  });
