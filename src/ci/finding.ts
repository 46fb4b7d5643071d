/**
 * A finding as the CI outputs carry it (SPEC §8): the shape `hba lint --json`
 * and `check-roles --json` print, with the file it is about. One type so
 * JUnit, SARIF and GitHub annotations say the same thing.
 */
export interface CiFinding {
  /** Path as the user gave it (annotations and SARIF resolve it from the working folder); '' when the finding is about no file. */
  file: string;
  /** 1-based line; 0 for the file as a whole. */
  line: number;
  severity: 'error' | 'warning';
  /** Rule id (e.g. `trust-open`, `md5-secret`). */
  code: string;
  message: string;
  fix?: string;
}

/** A rule as SARIF and the README list it: id, a one-line title, help text. */
export interface CiRule {
  id: string;
  title: string;
  help: string;
}

/** `FILE:LINE`, `FILE` for the file as a whole, or nothing when the finding is not about a file. */
export function findingPlace(f: Pick<CiFinding, 'file' | 'line'>): string {
  if (f.file === '') return '';
  return f.line > 0 ? `${f.file}:${f.line}` : f.file;
}
