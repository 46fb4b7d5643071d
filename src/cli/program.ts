/**
 * Commander wiring only: each command module registers its own flags and
 * loads its implementation lazily, so `pgauth --version` stays fast.
 */
import { Command } from 'commander';
import { packageVersion } from './version.js';
import * as secrets from './commands/secrets.js';
import * as roles from './commands/roles.js';
import * as serve from './commands/serve.js';
import * as probe from './commands/probe.js';
import * as hba from './commands/hba.js';
import * as pam from './commands/pam.js';

export function buildProgram(): Command {
  const program = new Command('pgauth');
  program
    .description('PostgreSQL authentication: role files, SCRAM/md5 secrets, a test server and a login probe')
    .version(packageVersion(), '-V, --version')
    .option('--no-color', 'no colour in output (also NO_COLOR)')
    .option('--no-input', 'never prompt; a missing value is a usage error')
    .option('--debug', 'print stack traces on errors')
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({
      outputError: (str, write) => write(str.startsWith('error:') ? `pgauth: ${str}` : str),
    });
  for (const mod of [roles, secrets, serve, probe, hba, pam]) mod.register(program);
  return program;
}
