/**
 * Flag parsing shared by commands: every problem is a usage error naming
 * the flag. Values arrive as commander gives them (strings).
 */
import type { Command } from 'commander';
import { usageError } from './errors.js';
import { warn } from './context.js';

export const jsonOption = (cmd: Command): Command => cmd.option('--json', 'print one JSON document on stdout');

/** An integer from `min` to `max` (role attributes: "--conn-limit: "x" is not an integer from -1 to ..."). */
export function parseIntFlag(flag: string, value: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
    throw usageError(`${flag}: ${JSON.stringify(value)} is not an integer from ${min} to ${max}`);
  }
  return Number(value);
}

/** A whole number from `min` to `max`, with serve's wording (a wrong kind and a wrong range said apart). */
export function intFlag(name: string, value: string, min: number, max: number): number {
  if (!/^\d+$/.test(value.trim())) throw usageError(`${name}: expected an integer, got "${value}"`);
  const n = Number(value);
  if (n < min || n > max) throw usageError(`${name}: must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A duration: plain seconds (fractions allowed, like "0.5"), or with a unit: 500ms, 2s, 1min. */
export function parseDuration(name: string, value: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min)?\s*$/.exec(value);
  if (!m) throw usageError(`${name}: expected seconds or a duration like 500ms, 30s, 1min; got "${value}"`);
  const n = Number(m[1]);
  const ms = m[2] === 'ms' ? n : m[2] === 'min' ? n * 60_000 : n * 1000;
  if (ms < 1 || ms > 600_000) throw usageError(`${name}: must be between 1ms and 600s (PostgreSQL's range for authentication_timeout is 1s-600s)`);
  return Math.round(ms);
}

/** Seconds in "90", "90s", "15min", "2h", "7d". */
export function parseLifetime(flag: string, value: string): number {
  const m = /^\s*(\d+)\s*(s|min|h|d)?\s*$/.exec(value);
  if (!m) throw usageError(`${flag}: expected a duration like 90s, 15min, 2h or 7d; got "${value}"`);
  const n = Number(m[1]);
  const seconds = n * ({ s: 1, min: 60, h: 3600, d: 86400 } as const)[(m[2] ?? 's') as 's' | 'min' | 'h' | 'd'];
  if (seconds > 366 * 86400) throw usageError(`${flag}: at most 366d`);
  return seconds;
}

/** Largest count PostgreSQL accepts (scram_iterations is an int). */
const MAX_ITERATIONS = 2147483647;

/** PostgreSQL's default scram_iterations: fewer makes a stolen verifier cheaper to crack. */
const PG_DEFAULT_ITERATIONS = 4096;

/**
 * --iterations N: a whole number from 1 to PostgreSQL's maximum; below
 * PostgreSQL's default it is allowed (PostgreSQL allows it too) with a warning.
 */
export function parseIterations(value: string): number {
  if (!/^[0-9]+$/.test(value.trim()) || Number(value) < 1 || Number(value) > MAX_ITERATIONS) {
    throw usageError(`--iterations: "${value}" is not a whole number from 1 to ${MAX_ITERATIONS}`);
  }
  const n = Number(value);
  if (n < PG_DEFAULT_ITERATIONS) {
    warn(`--iterations ${n} is below PostgreSQL's default of ${PG_DEFAULT_ITERATIONS}: a stolen verifier is ${Math.round(PG_DEFAULT_ITERATIONS / n)} times cheaper to crack`);
  }
  return n;
}
