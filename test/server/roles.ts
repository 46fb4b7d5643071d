/** A role file for server tests, written with the secrets module (one role per case). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildMd5Secret, buildScramSecret } from '../../src/secrets/index.js';

export const PASSWORD = 'pencil';

export function writeRoles(dir: string, extra: string[] = []): string {
  const scram = (pw = PASSWORD) => buildScramSecret(pw, { iterations: 4096 });
  const lines = [
    `"alice" "${scram()}"`,
    `"carol" "${buildMd5Secret(PASSWORD, 'carol')}"`,
    `"pat" "${PASSWORD}"`,
    `"nolo" "${scram()}" nologin`,
    `"old" "${scram()}" valid-until=2001-01-01T00:00:00Z`,
    `"lim" "${scram()}" conn-limit=1`,
    `"bob" "${scram()}" member-of=staff`,
    ...extra,
  ];
  const path = join(dir, 'userlist.txt');
  writeFileSync(path, lines.join('\n') + '\n', { mode: 0o600 });
  return path;
}
