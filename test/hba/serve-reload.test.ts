/**
 * `serve --hba` reloads its file when the file changes (no SIGHUP), keeps the
 * old rules when the new file is broken and logs the line at fault. Needs no
 * PostgreSQL: the decisions are read from the server's first answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';
import { observeAuth } from './wire.js';
import { startServe, type Served } from '../helpers/serve.js';
import { ROLE_FILE } from './cases.js';

const tmp = tempDir('pgauth-hba-reload-');
const hbaPath = join(tmp.path, 'pg_hba.conf');
let serve: Served;

/** Replaces the file the way editors do (write a temp file, rename over), then waits for serve's reload event. */
async function change(body: string, ok: boolean) {
  const from = serve.lines.length;
  const next = join(tmp.path, 'pg_hba.conf.new');
  writeFileSync(next, body);
  renameSync(next, hbaPath);
  return serve.waitForLine((e) => e.event === 'reload' && e.file === hbaPath && e.ok === ok, 'the reload after the change', from);
}

const decide = async (user: string) => (await observeAuth({ host: '127.0.0.1', port: serve.port }, user, 'appdb', false)).observed;

describe('pgauth serve --hba: reload on change', () => {
  beforeAll(async () => {
    writeFileSync(join(tmp.path, 'userlist.txt'), ROLE_FILE, { mode: 0o600 });
    writeFileSync(hbaPath, 'host all alice 127.0.0.1/32 md5\nhost all all all reject\n');
    serve = await startServe(['--hba', hbaPath, '--roles', join(tmp.path, 'userlist.txt'), '--host', '127.0.0.1'], {});
  }, 30_000);

  afterAll(async () => {
    await serve?.stop();
    tmp.remove();
  });

  it('a changed file is taken without SIGHUP; a broken one keeps the old rules and names the line', async () => {
    expect([await decide('alice'), await decide('bob')]).toEqual(['md5', 'reject']);

    const good = await change('host all alice 127.0.0.1/32 password\nhost all bob 127.0.0.1/32 trust\n', true);
    expect(good.ok).toBe(true);
    expect([await decide('alice'), await decide('bob'), await decide('carol')]).toEqual(['password', 'trust', 'no-entry']);

    const bad = await change('host all all 127.0.0.1/32 trust\nhost all all 127.0.0.1/33 md5\n', false);
    expect(bad.ok).toBe(false);
    expect(String(bad.error)).toContain(`${hbaPath}:2: invalid CIDR mask in address "127.0.0.1/33"`);
    expect([await decide('alice'), await decide('bob'), await decide('carol')]).toEqual(['password', 'trust', 'no-entry']);
  });
});
