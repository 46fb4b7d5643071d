/**
 * Wording shared by every command, so one situation reads the same whichever
 * command meets it.
 */

/** A directory where a file was expected: strerror(EISDIR), as PostgreSQL prints it. */
export const IS_A_DIRECTORY = 'Is a directory';

/** A FIFO, socket or device where a file was expected. */
export const NOT_A_REGULAR_FILE = 'not a regular file';

/** "1 role", "2 roles", "0 errors": a count with its noun in the right number. */
export function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** " (and 1 more error)", " (and 3 more errors)", or "" when there are no others. */
export function andMore(others: number, noun: string): string {
  if (others <= 0) return '';
  return ` (and ${others} more ${noun}${others === 1 ? '' : 's'})`;
}
