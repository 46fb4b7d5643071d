import { mkdtempSync, rmSync, chownSync, writeFileSync, chmodSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IS_ROOT } from './env.js';

/** A fresh temp directory; remove() deletes it. */
export function tempDir(prefix = 'pgauth-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

let postgresIds: { uid: number; gid: number } | undefined;
/** uid/gid of the postgres user (the account server binaries run as when we are root). */
export function postgresUser(): { uid: number; gid: number } {
  if (!postgresIds) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    postgresIds = { uid, gid };
  }
  return postgresIds;
}

/** Give a path to the postgres user when we are root (server binaries refuse root). */
export function chownToPostgres(path: string): void {
  if (!IS_ROOT) return;
  const { uid, gid } = postgresUser();
  chownSync(path, uid, gid);
}

/** Write a file the server user can read (and only it, for keys). */
export function writeServerFile(path: string, content: string | Buffer, mode = 0o600): void {
  writeFileSync(path, content);
  chmodSync(path, mode);
  chownToPostgres(path);
}

/** Command prefix that runs a server binary as postgres when we are root. */
export function asServerUser(cmd: string, args: string[]): [string, string[]] {
  return IS_ROOT ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}
