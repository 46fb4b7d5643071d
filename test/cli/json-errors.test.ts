/**
 * SPEC §0 with --json: stdout always holds one JSON document, also on usage
 * and input errors ({"ok": false, "error": {kind, message}}), and the exit
 * code is the one without --json. Through the built CLI.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('pgauth-json-errors-');
afterAll(() => tmp.remove());
const missing = join(tmp.path, 'does-not-exist.conf');

/** Runs with and without --json: same exit code; with it, exactly one JSON error document on stdout. */
async function jsonError(args: string[], jsonAt = args.length): Promise<{ code: number | null; doc: { ok: boolean; error: { kind: string; message: string } } }> {
  const plain = await pgauth(args);
  const withJson = [...args.slice(0, jsonAt), '--json', ...args.slice(jsonAt)];
  const r = await pgauth(withJson);
  expect(r.code, `${withJson.join(' ')}: ${r.stderr}`).toBe(plain.code);
  expect(plain.stdout).toBe('');
  expect(r.stdout.trim().split('\n')).toHaveLength(1); // one document, on one line
  const doc = JSON.parse(r.stdout) as { ok: boolean; error: { kind: string; message: string } };
  expect(doc.ok).toBe(false);
  expect(Object.keys(doc.error).sort()).toEqual(['kind', 'message']);
  expect(r.stderr).toContain(doc.error.message); // stderr keeps its one-line message
  return { code: r.code, doc };
}

describe('--json errors', () => {
  it('probe: a URI libpq rejects', async () => {
    const { code, doc } = await jsonError(['probe', 'postgresql://[::1/postgres']);
    expect(code).toBe(3);
    expect(doc.error).toEqual({ kind: 'usage', message: expect.stringContaining('IPv6 host address in URI') });
  });

  it('probe: an unknown flag (commander\'s own error), --json before or after it', async () => {
    for (const at of [1, 2]) {
      const { code, doc } = await jsonError(['probe', '--no-such-flag'], at);
      expect(code).toBe(3);
      expect(doc.error).toEqual({ kind: 'usage', message: "unknown option '--no-such-flag'" });
    }
  });

  it('hba lint and hba check: a missing file, a bad flag value, a missing flag', async () => {
    let r = await jsonError(['hba', 'lint', missing]);
    expect(r.code).toBe(3);
    expect(r.doc.error).toEqual({ kind: 'usage', message: `could not open file "${missing}": No such file or directory` });
    r = await jsonError(['hba', 'lint', missing, '--server-version', '9']);
    expect(r.doc.error.message).toContain('--server-version');
    r = await jsonError(['hba', 'check', missing, '--no-input']);
    expect(r.code).toBe(3);
    expect(r.doc.error.message).toContain('missing --user');
  });

  it('check-roles: a missing role file', async () => {
    const { code, doc } = await jsonError(['check-roles', '--roles', missing]);
    expect(code).toBe(3);
    expect(doc.error.kind).toBe('usage');
    expect(doc.error.message).toContain(missing);
  });

  it('serve: an unknown flag gives one JSON line', async () => {
    const { code, doc } = await jsonError(['serve', '--no-such-flag']);
    expect(code).toBe(3);
    expect(doc.error.kind).toBe('usage');
  });

  it('a command that printed its own document is not followed by a second one', async () => {
    const file = join(tmp.path, 'broken.conf');
    writeFileSync(file, 'hosts all all all trust\n');
    const r = await pgauth(['hba', 'lint', file, '--json']);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { errors: number }).errors).toBe(1);
  });

  it('--json after `--` belongs to the other program; without --json stdout stays empty', async () => {
    const r = await pgauth(['conform', '--no-such-flag', '--', 'true', '--json']);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
  });
});
