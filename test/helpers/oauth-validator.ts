/**
 * The PostgreSQL 18 OAuth validator module the tests load into a real
 * server: test/fixtures/oauth/validator.c, compiled with gcc into a folder
 * the postgres user can read. It trusts "pgauth-test-token.<identity>".
 */
import { execFileSync } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { which } from './env.js';

export const VALIDATOR_SOURCE = new URL('../fixtures/oauth/validator.c', import.meta.url).pathname;
export const testToken = (identity: string): string => `pgauth-test-token.${identity}`;

export function validatorMissing(): string | undefined {
  return which('gcc') ? undefined : 'gcc not installed (the OAuth validator module is compiled by the tests)';
}

/** Compiles the module into `dir` (made readable by the server) and returns its path. */
export function buildValidator(dir: string): string {
  chmodSync(dir, 0o755);
  const so = join(dir, 'pgauth_test_validator.so');
  execFileSync('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-Werror', '-o', so, VALIDATOR_SOURCE]);
  chmodSync(so, 0o755);
  return so;
}
