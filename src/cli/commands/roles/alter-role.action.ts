import type { Command } from 'commander';
import { globalOptions, printJson } from '../../context.js';
import { usageError } from '../../errors.js';
import { print, style } from '../../render.js';
import { alterRole } from '../../../roles/commands.js';
import type { RoleAttributes } from '../../../roles/format.js';
import { describeAttrs, parseConnLimit, parseMemberOf, parseValidUntil } from './attributes.js';
import { pathOpts, reportFindings, rolesPath, withRoleErrors } from './role-file.js';
import type { RoleFileFlags } from './options.js';

/** A string from --flag VALUE, false from its --no- form. */
interface AlterFlags extends RoleFileFlags {
  validUntil?: string | false;
  nologin?: boolean;
  login?: boolean;
  connLimit?: string | false;
  memberOf?: string | false;
}

/** The attribute change the flags ask for, as a function of the role's attributes. */
function changeFromFlags(flags: AlterFlags): (a: RoleAttributes) => RoleAttributes {
  if (flags.login && flags.nologin) throw usageError('--login and --nologin contradict each other');
  const validUntil = typeof flags.validUntil === 'string' ? parseValidUntil(flags.validUntil) : flags.validUntil;
  const connLimit = typeof flags.connLimit === 'string' ? parseConnLimit(flags.connLimit) : flags.connLimit;
  const memberOf = typeof flags.memberOf === 'string' ? parseMemberOf(flags.memberOf) : flags.memberOf;
  if (validUntil === undefined && connLimit === undefined && memberOf === undefined && !flags.login && !flags.nologin) {
    throw usageError('nothing to change: give --valid-until, --nologin/--login, --conn-limit or --member-of (or their --no- forms)');
  }
  return (a) => {
    if (validUntil === false) delete a.validUntil;
    else if (validUntil !== undefined) a.validUntil = validUntil;
    if (flags.nologin) a.nologin = true;
    if (flags.login) delete a.nologin;
    if (connLimit === false || connLimit === -1) delete a.connLimit;
    else if (connLimit !== undefined) a.connLimit = connLimit;
    if (memberOf === false) delete a.memberOf;
    else if (memberOf !== undefined) a.memberOf = memberOf;
    return a;
  };
}

export const run = (name: string, flags: AlterFlags, cmd: Command): Promise<void> =>
  withRoleErrors(async () => {
    const g = globalOptions(cmd);
    const path = rolesPath(flags);
    const change = changeFromFlags(flags);
    const result = await alterRole({ path, name, ...pathOpts(flags), change });
    reportFindings(result.findings, path);
    if (g.json) return printJson({ action: 'altered', name, path, attrs: result.attrs });
    print(`${style.ok('altered')} role ${style.strong(name)}: ${describeAttrs(result.attrs)}`);
  });
