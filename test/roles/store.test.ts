/**
 * The role file on disk, through the built CLI: concurrent writers lose
 * nothing, a writer killed mid-write leaves the old or the new file, modes.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pgauth, PGAUTH_BIN } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { parseRoleFile } from '../../src/roles/parse.js';
import { effectiveRoles } from '../../src/roles/role-file.js';
import { loadRoleFile } from '../../src/roles/index.js';
import { buildMd5Secret, buildScramSecret } from '../../src/secrets/index.js';

const tmp = tempDir('pgauth-roles-store-');
afterAll(() => tmp.remove());

describe('concurrent writers', () => {
  it('8 concurrent add-role workers x 25 roles leave exactly 200 roles', async () => {
    const file = join(tmp.path, 'concurrent.txt');
    writeFileSync(file, '; shared file\n', { mode: 0o600 });
    const worker = async (w: number) => {
      for (let i = 0; i < 25; i++) {
        const r = await pgauth(['add-role', `w${w}_r${i}`, '--roles', file, '--password-stdin'], { input: `pw-${w}-${i}\n` });
        if (r.code !== 0) throw new Error(`worker ${w} role ${i}: exit ${r.code}: ${r.stderr}`);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    const { roles, findings } = await loadRoleFile(file);
    expect(roles.size).toBe(200);
    expect(findings).toEqual([]);
    expect(readFileSync(file, 'utf8').startsWith('; shared file\n')).toBe(true);
    expect(readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('"')).length).toBe(200);
    expect(existsSync(`${file}.lock`)).toBe(false);
    expect(readdirSync(tmp.path).filter((n) => n.includes('pgauth-tmp'))).toEqual([]);
  }, 180_000);
});

describe('a writer killed mid-write', () => {
  it('leaves the old or the new file, parseable; the next writer recovers the stale lock and cleans up', async () => {
    const dir = join(tmp.path, 'kill');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const file = join(dir, 'userlist.txt');
    let text = '; big file\n';
    for (let i = 0; i < 120_000; i++) text += `"user${i}" "${buildMd5Secret('pw', `user${i}`)}"\n`;
    writeFileSync(file, text, { mode: 0o600 });
    const tmpFiles = () => readdirSync(dir).filter((n) => n.includes('.pgauth-tmp-'));

    let landedMidWrite = 0;
    for (let attempt = 0; attempt < 20 && landedMidWrite === 0; attempt++) {
      const before = readFileSync(file);
      const child = spawn(process.execPath, [PGAUTH_BIN, 'add-role', `new${attempt}`, '--roles', file, '--secret', buildMd5Secret('x', `new${attempt}`)], {
        stdio: 'ignore',
      });
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      // Kill the moment the temp file appears: the writer is between open() and rename().
      const watcher = watch(dir, (_event, name) => {
        if (name && name.includes('.pgauth-tmp-')) child.kill('SIGKILL');
      });
      await exited;
      watcher.close();
      const after = readFileSync(file);
      const leftover = tmpFiles();
      if (leftover.length > 0) landedMidWrite++;
      // Old file byte for byte, or the complete new one.
      if (!after.equals(before)) {
        const roles = effectiveRoles(parseRoleFile(after));
        expect(roles.size).toBe(effectiveRoles(parseRoleFile(before)).size + 1);
        expect(after.subarray(0, before.length).equals(before)).toBe(true);
      }
      expect(parseRoleFile(after).findings.filter((f) => f.severity === 'error')).toEqual([]);
      if (landedMidWrite === 0) {
        // Not this time: clear what the killed writer left so the next attempt starts at once.
        rmSync(`${file}.lock`, { recursive: true, force: true });
        for (const n of leftover) rmSync(join(dir, n));
      }
    }
    expect(landedMidWrite).toBeGreaterThan(0);
    expect(tmpFiles().length).toBeGreaterThan(0);

    // The dead writer's lock is stale after a few seconds; the next writer takes it over and removes the temp file.
    const r = await pgauth(['add-role', 'after-crash', '--roles', file, '--secret', buildScramSecret('y')], { timeoutMs: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(tmpFiles()).toEqual([]);
    const { roles } = await loadRoleFile(file);
    expect(roles.has('after-crash')).toBe(true);
    expect(roles.has('user119999')).toBe(true);
  }, 120_000);
});

describe('file modes', () => {
  it('creates a new role file with mode 0600', async () => {
    const file = join(tmp.path, 'new-mode.txt');
    const r = await pgauth(['add-role', 'alice', '--roles', file, '--password-stdin'], { input: 'pw\n' });
    expect(r.code).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(r.stderr).toBe('');
  });

  it('warns about a role file readable by group or others (0644), and keeps working', async () => {
    const file = join(tmp.path, 'open-mode.txt');
    writeFileSync(file, '"bob" "md5' + '0'.repeat(32) + '"\n');
    chmodSync(file, 0o644);
    const r = await pgauth(['add-role', 'alice', '--roles', file, '--password-stdin'], { input: 'pw\n' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/open-mode\.txt: the file is readable or writable by group or others \(mode 0644\); run chmod 600/);
    const check = await pgauth(['check-roles', '--roles', file, '--json']);
    expect(check.code).toBe(0);
    const doc = JSON.parse(check.stdout) as { findings: Array<{ line: number; code: string; severity: string }> };
    expect(doc.findings).toContainEqual(expect.objectContaining({ line: 0, code: 'permissions', severity: 'warning' }));
    const list = await pgauth(['list-roles', '--roles', file]);
    expect(list.stderr).toContain('mode 0644');
  });

  it('updates a symlinked role file where it points, keeping the link', async () => {
    const target = join(tmp.path, 'real-userlist.txt');
    const link = join(tmp.path, 'link-userlist.txt');
    writeFileSync(target, '; real\n', { mode: 0o600 });
    symlinkSync(target, link);
    const r = await pgauth(['add-role', 'alice', '--roles', link, '--password-stdin'], { input: 'pw\n' });
    expect(r.code, r.stderr).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toMatch(/^; real\n"alice" "SCRAM-SHA-256\$/);
  });
});
