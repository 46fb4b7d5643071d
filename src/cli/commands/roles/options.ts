/**
 * Flags the role-file commands share (definitions only: nothing heavy is
 * loaded here).
 */
import { Option, type Command } from 'commander';
import type { PasswordFlags } from '../../password.js';

export const SECRET_METHODS = ['scram-sha-256', 'md5', 'plain'] as const;
export type SecretMethod = (typeof SECRET_METHODS)[number];

/** --roles and --allow-unsafe-path, which every role-file command takes. */
export interface RoleFileFlags {
  roles?: string;
  json?: boolean;
  allowUnsafePath?: boolean;
}

/** Where a stored secret comes from: a password (with its sources) or a ready --secret. */
export interface SecretFlags extends PasswordFlags {
  method?: SecretMethod;
  iterations?: string;
  secret?: string;
}

export const rolesOption = (cmd: Command): Command =>
  cmd
    .option('--roles <FILE>', 'role file (default: $PGAUTH_ROLES, else ./userlist.txt)')
    .option('--allow-unsafe-path', 'use the role file even when it, a symlink to it or a folder above it is owned or writable by another user (with a warning)');

export function addSecretOptions(cmd: Command): Command {
  cmd
    .addOption(new Option('--method <METHOD>', 'secret kind (default scram-sha-256)').choices([...SECRET_METHODS]))
    .option('--iterations <N>', 'SCRAM iteration count (default 4096)')
    .option('--secret <SECRET>', 'store this ready SCRAM verifier or md5 hash (validated) instead of a password');
  return cmd;
}
