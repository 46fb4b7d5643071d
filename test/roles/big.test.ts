/**
 * A 20,000-role file through the built CLI: every role listed (table and
 * --json), check-roles and export see them all, add-role appends one line and
 * keeps every other byte. Correctness only: the timings are in
 * `npm run bench` (bench/roles-big.bench.ts), never a bar here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { buildMd5Secret, buildScramSecret } from '../../src/secrets/index.js';

const tmp = tempDir('pgauth-roles-big-');
afterAll(() => tmp.remove());
const N = 20_000;
const scram = buildScramSecret('pencil', { salt: Buffer.alloc(16, 7) });

/** Roles of every kind, a comment and a blank line now and then. */
function bigFile(): string {
  const lines: string[] = ['; generated'];
  for (let i = 0; i < N; i++) {
    if (i % 1000 === 0) lines.push('', `; block ${i / 1000}`);
    const secret = i % 5 === 0 ? buildMd5Secret('pw', `user${i}`) : scram;
    lines.push(`"user${i}" "${secret}"${i % 7 === 0 ? ' valid-until=2030-01-01T00:00:00Z conn-limit=3' : ''}`);
  }
  return lines.join('\n') + '\n';
}

describe(`a file of ${N} roles`, () => {
  const file = join(tmp.path, 'userlist.txt');
  const text = bigFile();
  writeFileSync(file, text, { mode: 0o600 });

  it('list-roles --json and the table list every role, in file order', async () => {
    const json = await pgauth(['list-roles', '--json', '--roles', file]);
    expect(json.code, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { roles: Array<{ name: string; method: string; iterations: number | null; connLimit: number | null }> };
    expect(doc.roles.map((r) => r.name)).toEqual(Array.from({ length: N }, (_, i) => `user${i}`));
    expect(doc.roles[5]).toMatchObject({ method: 'md5', iterations: null });
    expect(doc.roles[7]).toMatchObject({ method: 'scram-sha-256', iterations: 4096, connLimit: 3 });
    const table = await pgauth(['list-roles', '--roles', file], { env: { ...process.env, NO_COLOR: '1' } });
    expect(table.code, table.stderr).toBe(0);
    const rows = table.stdout.split('\n').filter((l) => l.startsWith('user'));
    expect(rows).toHaveLength(N);
    expect(rows[N - 1]).toMatch(/^user19999 +scram-sha-256  4096 +/);
    expect(table.stdout).not.toMatch(/[│┌└├]/);
  }, 120_000);

  it('check-roles counts them all; export --format userlist writes them all', async () => {
    const check = await pgauth(['check-roles', '--json', '--roles', file]);
    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ ok: true, roles: N, findings: [] });
    const exp = await pgauth(['export', '--roles', file]);
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stdout).toBe(text.split('\n').filter((l) => l.startsWith('"')).join('\n') + '\n');
  }, 120_000);

  it('add-role appends one line and keeps every other byte', async () => {
    const r = await pgauth(['add-role', 'newcomer', '--roles', file, '--password-stdin'], { input: 'pw\n' });
    expect(r.code, r.stderr).toBe(0);
    const after = readFileSync(file, 'utf8');
    expect(after.startsWith(text)).toBe(true);
    expect(after.slice(text.length)).toMatch(/^"newcomer" "SCRAM-SHA-256\$4096:[^"]+"\n$/);
  }, 120_000);
});
