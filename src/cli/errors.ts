/**
 * The CLI's error type. A command throws a CliError with a *kind*; only
 * `cli/main.ts` turns kinds into exit codes (SPEC §0, aligned with pg_isready).
 */
export type CliErrorKind =
  | 'rejected' // 1: authentication failed, password mismatch, role missing
  | 'unreachable' // 2: cannot connect, DNS, timeout, TLS handshake failure
  | 'usage' // 3: bad flag, malformed or unreadable file
  | 'expectation'; // 4: an --expect-* condition of probe was not met

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    readonly kind: CliErrorKind,
    message: string,
    /** Printed already (e.g. a rendered report); main only sets the exit code. */
    readonly silent = false,
  ) {
    super(message);
  }
}

export const usageError = (message: string): CliError => new CliError('usage', message);

/**
 * Ctrl-C at a prompt (exit 130, no stack trace). prompts.ts turns the prompt
 * library's own error into this, so nothing else needs to load the library
 * to recognise it.
 */
export class PromptInterrupted extends Error {
  override readonly name = 'PromptInterrupted';
  constructor(options?: { cause?: unknown }) {
    super('interrupted at a prompt', options);
  }
}
