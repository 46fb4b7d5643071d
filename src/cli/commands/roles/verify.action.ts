import type { Command } from 'commander';
import { globalOptions, printJson, warn } from '../../context.js';
import { CliError, usageError } from '../../errors.js';
import { readPassword, type PasswordFlags } from '../../password.js';
import { PROGRESS_ITERATIONS, withProgress } from '../../progress.js';
import { print, style } from '../../render.js';
import { isExpired, loadRoleFile } from '../../../roles/index.js';
import type { RoleAttributes } from '../../../roles/format.js';
import * as secrets from '../../../secrets/index.js';
import { pathOpts, rolesPath, warnUnsafePath, withRoleErrors } from './role-file.js';
import type { RoleFileFlags } from './options.js';
import type { CiFlags } from '../../ci-flags.js';
import { announce, writeCiFiles } from '../../ci-output.js';
import { missingRoleReport, verifyReport } from './verify-ci.js';

type VerifyFlags = RoleFileFlags & PasswordFlags & CiFlags & { verifier?: string };

/** The secret to check against, its role's attributes, and where it came from. */
interface Stored {
  secretText: string;
  attrs: RoleAttributes;
  source: string;
  /** The role file and the role's line ('' and 0 for --verifier). */
  file: string;
  line: number;
}

/** --verifier SECRET: a SCRAM verifier or an md5 hash (with the role name it is salted with). */
function fromVerifierFlag(name: string | undefined, verifier: string): Stored {
  const malformed = secrets.malformedSecretReason(verifier);
  if (malformed) throw usageError(`--verifier: ${malformed}`);
  const kind = secrets.parseSecret(verifier).kind;
  if (kind === 'plain') {
    throw usageError('--verifier: not a SCRAM-SHA-256 verifier (SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>) or an md5 hash (md5 + 32 hex)');
  }
  if (kind === 'md5' && name === undefined) {
    throw usageError('--verifier: an md5 secret is salted with the role name; give it: pgauth verify NAME --verifier md5...');
  }
  if (kind === 'md5') {
    warn('--verifier puts an md5 hash, which logs in like the password itself under md5 auth, on the command line, where other users can see it');
  }
  return { secretText: verifier, attrs: {}, source: '--verifier', file: '', line: 0 };
}

/** `json`: --json is on (annotations then go to stderr). */
async function fromRoleFile(name: string | undefined, flags: VerifyFlags, json: boolean): Promise<Stored> {
  if (name === undefined) throw usageError('missing role name: pgauth verify NAME (or --verifier SECRET)');
  const path = rolesPath(flags);
  const { roles, findings } = await loadRoleFile(path, pathOpts(flags));
  warnUnsafePath(findings, path);
  const role = roles.get(name);
  if (!role) {
    // The check ran and failed: CI gets its failing testcase and annotation too.
    const ci = missingRoleReport(name, path);
    await writeCiFiles(flags, ci);
    announce(flags, ci, json);
    throw new CliError('rejected', `role ${JSON.stringify(name)} is not in ${path}`);
  }
  return { secretText: role.secret, attrs: role.attrs, source: `${path}:${role.line}`, file: path, line: role.line };
}

/** Does the password match? Many SCRAM iterations get a progress line on a terminal. */
function matches(password: string, secret: secrets.Secret, name: string): Promise<boolean> {
  return secret.kind === 'scram-sha-256' && secret.iterations >= PROGRESS_ITERATIONS
    ? withProgress(`checking against ${secret.iterations} SCRAM iterations`, () => secrets.verifyPasswordAsync(password, secret, name))
    : Promise.resolve(secrets.verifyPassword(password, secret, name));
}

export const run = (name: string | undefined, flags: VerifyFlags, cmd: Command): Promise<void> =>
  withRoleErrors(async () => {
    const g = globalOptions(cmd);
    const { secretText, attrs, source, file, line } = flags.verifier !== undefined ? fromVerifierFlag(name, flags.verifier) : await fromRoleFile(name, flags, g.json);
    const password = await readPassword(flags, { confirm: false, input: g.input, message: `Password${name ? ` for ${name}` : ''}:` });
    const secret = secrets.parseSecret(secretText);
    const match = secretText !== '' && password !== '' && (await matches(password, secret, name ?? ''));
    const result = {
      name: name ?? null,
      match,
      method: secretText === '' ? 'empty' : secret.kind,
      source,
      expired: isExpired(attrs),
      login: !attrs.nologin,
    };
    const ci = verifyReport({ ...result, ...(attrs.validUntil !== undefined ? { validUntil: attrs.validUntil } : {}), file, line });
    await writeCiFiles(flags, ci);
    if (g.json) printJson(result);
    else {
      const who = name ? `role ${style.strong(name)}` : 'the verifier';
      let text = match ? `${style.ok('match')}: the password matches ${who} (${result.method})` : `${style.fail('no match')}: the password does not match ${who} (${result.method})`;
      if (match && result.expired) text += style.warn(`; but the password expired at ${attrs.validUntil}`);
      if (match && !result.login) text += style.warn('; but the role may not log in (nologin)');
      print(text);
    }
    announce(flags, ci, g.json);
    if (!match) throw new CliError('rejected', 'password does not match', true);
  });
