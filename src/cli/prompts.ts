/**
 * Every interactive prompt lives here, so the rest of the CLI is testable
 * without a terminal. Callers check canPrompt() first; these refuse otherwise.
 */
import { input, password, select, confirm } from '@inquirer/prompts';
// @inquirer/prompts does not re-export its errors; @inquirer/core (its one
// installed copy, a dependency of every prompt) is where they are defined.
import { AbortPromptError, ExitPromptError } from '@inquirer/core';
import { PromptInterrupted, usageError } from './errors.js';

/**
 * Prompts draw on stderr, as psql's do, so `--json > file` (or any piped
 * stdout) is never mixed with prompt text.
 */
const context = () => ({ output: process.stderr });

function requireTty(): void {
  if (!process.stdin.isTTY) throw usageError('cannot prompt: stdin is not a terminal');
}

/** Runs a prompt; Ctrl-C (the library's ExitPromptError) becomes our PromptInterrupted. */
async function asking<T>(prompt: Promise<T>): Promise<T> {
  try {
    return await prompt;
  } catch (err) {
    if (err instanceof ExitPromptError) throw new PromptInterrupted({ cause: err });
    throw err;
  }
}

/** Hidden input: nothing is echoed, not even a mask. */
export async function promptPassword(message: string): Promise<string> {
  requireTty();
  return asking(password({ message }, context()));
}

export async function promptText(message: string, opts: { default?: string; required?: boolean } = {}): Promise<string> {
  requireTty();
  return asking(
    input(
      {
        message,
        ...(opts.default !== undefined ? { default: opts.default } : {}),
        required: opts.required ?? true,
      },
      context(),
    ),
  );
}

export async function promptConfirm(message: string, defaultValue = false): Promise<boolean> {
  requireTty();
  return asking(confirm({ message, default: defaultValue }, context()));
}

export async function promptSelect<T extends string>(
  message: string,
  choices: ReadonlyArray<{ value: T; name: string; description?: string }>,
): Promise<T> {
  requireTty();
  return asking(select<T>({ message, choices: choices.map((c) => ({ ...c })), pageSize: Math.max(7, choices.length) }, context()));
}

/**
 * A select that Esc closes too: resolves to `onEscape` then. Arrow keys also
 * start with ESC; readline tells them apart, so only a lone Esc counts.
 */
export async function promptSelectOrEscape<T extends string>(
  message: string,
  choices: ReadonlyArray<{ value: T; name: string; description?: string }>,
  onEscape: T,
): Promise<T> {
  requireTty();
  const { emitKeypressEvents } = await import('node:readline');
  emitKeypressEvents(process.stdin);
  const abort = new AbortController();
  const onKey = (_: unknown, key: { name?: string } | undefined) => {
    if (key?.name === 'escape') abort.abort();
  };
  process.stdin.on('keypress', onKey);
  try {
    return await asking(select<T>({ message, choices: choices.map((c) => ({ ...c })), pageSize: Math.max(7, choices.length) }, { ...context(), signal: abort.signal }));
  } catch (err) {
    if (abort.signal.aborted && err instanceof AbortPromptError) return onEscape;
    throw err;
  } finally {
    process.stdin.removeListener('keypress', onKey);
  }
}
