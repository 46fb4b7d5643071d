import type { Command } from 'commander';
import { CliError, usageError } from './errors.js';
import { canPrompt, warn } from './context.js';

/** Where a password may come from (SPEC §0): exactly one of these, else a prompt. */
export interface PasswordFlags {
  passwordStdin?: boolean;
  passwordEnv?: string;
  password?: string;
}

/**
 * Adds the shared password-source flags to a command. `psqlPassword`: the
 * value of --password is optional, so psql's `--password` (= -W, ask before
 * connecting) works as psql's does while `--password VALUE` still gives one.
 */
export function addPasswordOptions(cmd: Command, opts: { psqlPassword?: boolean } = {}): Command {
  return cmd
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option('--password-env <VAR>', 'read the password from environment variable VAR')
    .option(
      opts.psqlPassword ? '--password [VALUE]' : '--password <VALUE>',
      opts.psqlPassword
        ? "alone: psql's --password, the same as -W; with VALUE: the password on the command line (visible to other users: prefer --password-stdin)"
        : 'password on the command line (visible to other users: prefer --password-stdin)',
    );
}

/** Passwords longer than this are refused: every input is bounded. */
export const MAX_PASSWORD_BYTES = 65536;

/** Reads the first line of stdin (without its line ending), bounded. */
export async function readFirstLineOfStdin(stdin: NodeJS.ReadableStream = process.stdin, flag = '--password-stdin'): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    const nl = buf.indexOf(0x0a);
    if (nl >= 0) {
      chunks.push(buf.subarray(0, nl));
      total += nl;
      break;
    }
    chunks.push(buf);
    total += buf.length;
    if (total > MAX_PASSWORD_BYTES) break;
  }
  if (total > MAX_PASSWORD_BYTES) throw usageError(`${flag}: the first line is longer than ${MAX_PASSWORD_BYTES} bytes`);
  let line = Buffer.concat(chunks).toString('utf8');
  if (line.endsWith('\r')) line = line.slice(0, -1);
  return line;
}

/** Two password sources are a usage error naming them: no silent precedence. */
export function checkOnePasswordSource(flags: PasswordFlags): void {
  const given = [
    flags.passwordStdin === true && '--password-stdin',
    flags.passwordEnv !== undefined && '--password-env',
    flags.password !== undefined && '--password',
  ].filter((f): f is string => typeof f === 'string');
  if (given.length > 1) throw usageError(`${given.join(' and ')}: give only one password source`);
}

export interface ReadPasswordOptions {
  /** Ask twice on a terminal and refuse a mismatch (setting a password). */
  confirm: boolean;
  /** --no-input was not given. */
  input: boolean;
  /** Prompt text. */
  message?: string;
}

/**
 * Gets a password from --password-stdin, --password-env, --password (with a
 * warning), or a hidden prompt on a terminal. Without a terminal a missing
 * password is a usage error naming the flag, never a hang.
 */
export async function readPassword(flags: PasswordFlags, opts: ReadPasswordOptions): Promise<string> {
  checkOnePasswordSource(flags);
  if (flags.passwordStdin) return readFirstLineOfStdin();
  if (flags.passwordEnv !== undefined) {
    const value = process.env[flags.passwordEnv];
    if (value === undefined) throw usageError(`--password-env: environment variable ${flags.passwordEnv} is not set`);
    return value;
  }
  if (flags.password !== undefined) {
    warn('--password puts the password on the command line, where other users can see it; prefer --password-stdin');
    return flags.password;
  }
  if (!canPrompt(opts)) {
    throw usageError('no password given: use --password-stdin or --password-env VAR (no terminal to prompt on)');
  }
  const { promptPassword } = await import('./prompts.js');
  const first = await promptPassword(opts.message ?? 'Password:');
  if (opts.confirm) {
    const second = await promptPassword('Repeat password:');
    if (first !== second) throw new CliError('usage', 'passwords do not match');
  }
  return first;
}
