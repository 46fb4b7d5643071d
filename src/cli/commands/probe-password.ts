/**
 * When `pgauth probe` may ask for a password, with psql's flag meanings
 * (psql's reference page and startup.c): `-w`/`--no-password` never prompt
 * (PGPASSWORD, ~/.pgpass, --password-env and --password-stdin still apply);
 * `-W` (and psql's `--password` with no value) prompt before connecting;
 * otherwise a terminal is asked only once a server has asked for a password
 * no source had, with that connection closed (psql's reconnect).
 * `--discover` sends no secret at all. Pure: the flags in, the plan out.
 */
import { usageError } from '../errors.js';

export interface ProbePasswordFlags {
  /** -W */
  W?: boolean;
  /** `--password VALUE` (a string), psql's `--password` alone (true), `-w`/`--no-password` (false). */
  password?: string | boolean;
  passwordStdin?: boolean;
  passwordEnv?: string;
  discover?: boolean;
}

export interface ProbePasswordPlan {
  /** Ask before connecting (-W). */
  askFirst: boolean;
  /** Ask once a server wants a password no source had (the probe's prompt callback). */
  askWhenNeeded: boolean;
  /** Send no secret: record the method asked for, then disconnect. */
  discover: boolean;
}

/** The plan for these flags; `terminal`: a person can be asked (a TTY on stdin, no --no-input). */
export function probePasswordPlan(flags: ProbePasswordFlags, terminal: boolean): ProbePasswordPlan {
  const promptFirst = flags.W === true || flags.password === true;
  const neverPrompt = flags.password === false;
  const given = flags.passwordStdin === true || flags.passwordEnv !== undefined || typeof flags.password === 'string';
  const discover = flags.discover === true;
  if (promptFirst && neverPrompt) throw usageError('-W and -w (--no-password) contradict each other: -W asks before connecting, -w never asks');
  if (discover) {
    const conflicting = promptFirst ? '-W' : flags.passwordStdin ? '--password-stdin' : flags.passwordEnv !== undefined ? '--password-env' : typeof flags.password === 'string' ? '--password' : undefined;
    if (conflicting) throw usageError(`--discover sends no password: drop ${conflicting}`);
    return { askFirst: false, askWhenNeeded: false, discover };
  }
  const askFirst = promptFirst && !given;
  if (askFirst && !terminal) throw usageError(`${flags.W ? '-W' : '--password without a VALUE'} needs a terminal to ask on; use --password-stdin or --password-env VAR`);
  return { askFirst, askWhenNeeded: terminal && !neverPrompt && !askFirst && !given, discover };
}
