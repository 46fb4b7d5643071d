/**
 * What menu entries ask with: each entry gathers what its command needs
 * (fixed choices as select prompts, role names picked from the role file)
 * and returns the argv of the ordinary command, so the menu adds no logic of
 * its own. The prompts are loaded when an entry runs, not when commands are
 * defined.
 */
import type { MenuContext } from './command.js';

const prompts = () => import('./prompts.js');

export const ask = async (message: string, def?: string): Promise<string> =>
  (await prompts()).promptText(message, def !== undefined ? { default: def } : {});

export const pick = async <T extends string>(message: string, values: readonly T[]): Promise<T> =>
  (await prompts()).promptSelect(message, values.map((v) => ({ value: v, name: v })));

export const select = async <T extends string>(message: string, choices: ReadonlyArray<{ value: T; name: string }>): Promise<T> =>
  (await prompts()).promptSelect(message, choices);

/** A role of the file, chosen from a list: a name that is not there cannot be typed. */
async function pickRole(ctx: MenuContext): Promise<string | null> {
  if (ctx.roleNames.length === 0) {
    process.stderr.write('pgauth: the role file has no roles yet: add one first\n');
    return null;
  }
  return select('Role:', ctx.roleNames.map((n) => ({ value: n, name: n })));
}

/** `cmd NAME ...extra` with NAME picked from the role file. */
export const withRole =
  (cmd: string, extra: (name: string) => Promise<string[]> = async () => []) =>
  async (ctx: MenuContext): Promise<string[] | null> => {
    const name = await pickRole(ctx);
    return name === null ? null : [cmd, name, ...(await extra(name))];
  };
