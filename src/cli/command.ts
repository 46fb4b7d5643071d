/**
 * What a command is to the CLI: its definition (name, flags, help) in one
 * small module that loads nothing heavy, and its action in another module
 * that is loaded once, when the command runs. program.ts registers every
 * definition of the command list (commands/index.ts); the menu is built from
 * the same list, so a command added once appears in both.
 */
import type { Command } from 'commander';

/** What the menu knows when an entry gathers its argv. */
export interface MenuContext {
  /** Role names in the role file (empty when there is none yet). */
  roleNames: readonly string[];
}

/** A command's place in the `pgauth` menu. */
export interface MenuEntry {
  /** The menu's label. */
  name: string;
  /** Where it goes in the menu (ascending); the menu's order is not help's. */
  order: number;
  /** The command's argv, or null when there is nothing to do (said on stderr). */
  args: (ctx: MenuContext) => Promise<string[] | null>;
}

export interface CommandDefinition {
  name: string;
  /** Adds the command, its arguments, flags, help and (lazy) action under `parent`. */
  define(parent: Command): Command;
  /** Commands under this one (`hba check`, `hba lint`). */
  subcommands?: readonly CommandDefinition[];
  menu?: MenuEntry;
}

/** A menu entry with the command words it runs ('hba lint'). */
export interface MenuAction extends MenuEntry {
  value: string;
}

/**
 * Commander's action for a command whose work lives in `load()`'s module:
 * loaded when the command runs, not when it is registered (start-up pays
 * for definitions only). Commander passes the arguments, the flags and the
 * command itself.
 */
export function lazyAction<A extends unknown[]>(load: () => Promise<{ run: (...args: A) => Promise<void> }>): (...args: A) => Promise<void> {
  return async (...args: A) => (await load()).run(...args);
}

/** Registers `defs` (and their subcommands) under `parent`, in the list's order. */
export function registerCommands(parent: Command, defs: readonly CommandDefinition[]): void {
  for (const def of defs) registerCommands(def.define(parent), def.subcommands ?? []);
}

/** Every menu entry of `defs`, in menu order, with the command words each one runs. */
export function menuActions(defs: readonly CommandDefinition[], prefix = ''): MenuAction[] {
  const all = defs.flatMap((def): MenuAction[] => {
    const value = prefix + def.name;
    const own = def.menu ? [{ ...def.menu, value }] : [];
    return [...own, ...menuActions(def.subcommands ?? [], `${value} `)];
  });
  return all.sort((a, b) => a.order - b.order);
}
