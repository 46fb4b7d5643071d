/**
 * Reading roles from a live server (`import postgresql://...`, `hba check
 * --roles postgresql://...`): the password from the flags, else libpq's
 * sources (PGPASSWORD, ~/.pgpass), else a hidden prompt on a terminal; the
 * login's failure as the CLI's error. The probe's code loads only here.
 */
import { canPrompt, warn, type GlobalOptions } from '../../context.js';
import { CliError } from '../../errors.js';
import { readPassword, type PasswordFlags } from '../../password.js';
import { hasPasswordSource } from './secret.js';
import type { LiveOptions } from '../../../probe/import-live.js';

export const isServerUri = (s: string): boolean => /^postgres(ql)?:\/\//i.test(s);

/** The password options for a live read, warning about a password in the URI. */
async function liveOptions(uri: string, flags: PasswordFlags, g: GlobalOptions, uriHasPassword: (u: string) => boolean): Promise<LiveOptions> {
  if (uriHasPassword(uri)) warn('the password in the URI is on the command line, where other users can see it; prefer --password-stdin, PGPASSWORD or ~/.pgpass');
  if (hasPasswordSource(flags)) return { password: await readPassword(flags, { confirm: false, input: g.input }) };
  if (!canPrompt(g)) return {};
  return {
    prompt: async (user) => {
      const { promptPassword } = await import('../../prompts.js');
      return promptPassword(`Password for user ${user}:`);
    },
  };
}

/** Runs a live read with the password options, its failure a CliError (rejected or unreachable). */
export async function readLive<T>(uri: string, flags: PasswordFlags, g: GlobalOptions, read: (live: typeof import('../../../probe/import-live.js'), opts: LiveOptions) => Promise<T>): Promise<T> {
  const live = await import('../../../probe/import-live.js');
  const opts = await liveOptions(uri, flags, g, live.uriHasPassword);
  try {
    return await read(live, opts);
  } catch (err) {
    if (err instanceof live.LiveImportError) throw new CliError(err.kind, err.message);
    throw err;
  }
}
