/**
 * The role file's path, checked like OpenSSH's StrictModes (safe-path.ts):
 * the reproductions through the built CLI (files and symlinks owned
 * by `nobody`, made with runuser: root only), the override and its warning,
 * serve refusing to start, and the walk itself (any user).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { IS_ROOT, describeWith } from '../helpers/env.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { resolveRolePath } from '../../src/roles/safe-path.js';
import { startServe } from '../helpers/serve.js';

const tmp = tempDir('pgauth-safe-path-');
// `nobody` must be able to reach the folders the tests give it.
chmodSync(tmp.path, 0o711);
afterAll(() => tmp.remove());
const MD5 = 'md5' + '0'.repeat(32);
const uid = process.geteuid?.() ?? 0;

/** A fresh folder of mode `mode` in the temp folder. */
function folder(name: string, mode = 0o700): string {
  const dir = join(tmp.path, name);
  mkdirSync(dir);
  chmodSync(dir, mode);
  return dir;
}

/** Runs a shell command as `nobody` (files and symlinks owned by another user). */
const asNobody = (script: string): void => {
  execFileSync('runuser', ['-u', 'nobody', '--', 'sh', '-c', script]);
};

const addRole = (file: string, ...extra: string[]) => pgauth(['add-role', 'admin', '--roles', file, '--password-stdin', ...extra], { input: 'pencil\n' });

describe('resolveRolePath: the walk', () => {
  it('accepts a private folder and a new file; reports the physical path', async () => {
    const dir = folder('walk-ok');
    const r = await resolveRolePath(join(dir, 'userlist.txt'), uid);
    expect(r).toMatchObject({ real: join(dir, 'userlist.txt'), exists: false, problems: [] });
  });

  it('reports a folder writable by others without the sticky bit, and accepts it with the bit (/tmp)', async () => {
    const dir = folder('walk-0777', 0o777);
    const r = await resolveRolePath(join(dir, 'userlist.txt'), uid);
    expect(r.problems).toEqual([{ path: dir, kind: 'folder', reason: 'folder writable by group or others without the sticky bit (mode 0777)' }]);
    chmodSync(dir, 0o1777);
    expect((await resolveRolePath(join(dir, 'userlist.txt'), uid)).problems).toEqual([]);
    expect((await resolveRolePath('/tmp/pgauth-no-such-file.txt', uid)).problems).toEqual([]);
  });

  it('reports a group-writable file, and a folder owned by another uid (as seen by that uid)', async () => {
    const dir = folder('walk-file');
    const file = join(dir, 'userlist.txt');
    writeFileSync(file, '', { mode: 0o620 });
    chmodSync(file, 0o620);
    expect((await resolveRolePath(file, uid)).problems).toEqual([{ path: file, kind: 'file', reason: 'file writable by group or others (mode 0620)' }]);
    chmodSync(file, 0o600);
    // Seen by another user, everything we own is owned by "someone else" (root's folders are fine).
    const other = uid === 0 ? 4242 : uid + 1;
    const seen = await resolveRolePath(file, other);
    if (uid !== 0) expect(seen.problems.map((p) => p.path)).toEqual(expect.arrayContaining([dir, file]));
    else expect(seen.problems).toEqual([]);
  });

  it('follows symlinks (relative, absolute, through folders, with ..) to the physical path, checking the link folders', async () => {
    const a = folder('walk-a');
    const b = folder('walk-b', 0o777);
    mkdirSync(join(a, 'sub'));
    writeFileSync(join(a, 'sub', 'real.txt'), '', { mode: 0o600 });
    symlinkSync('../walk-a/sub', join(b, 'dirlink'));
    symlinkSync(`${b}/dirlink/../sub/real.txt`, join(a, 'abs-link'));
    const r = await resolveRolePath(join(a, 'abs-link'), uid);
    expect(r.real).toBe(join(a, 'sub', 'real.txt'));
    expect(r.exists).toBe(true);
    expect(r.viaSymlink).toBe(join(a, 'abs-link'));
    // walk-b (0777) holds a symlink on the way: reported, though it is not on the physical path.
    expect(r.problems).toEqual([{ path: b, kind: 'folder', reason: expect.stringContaining('mode 0777') }]);
  });

  it('notes a dangling symlink and stops a symlink loop', async () => {
    const dir = folder('walk-links');
    symlinkSync(join(dir, 'missing.txt'), join(dir, 'dangling'));
    expect(await resolveRolePath(join(dir, 'dangling'), uid)).toMatchObject({ exists: false, danglingSymlink: join(dir, 'dangling') });
    symlinkSync('loop2', join(dir, 'loop1'));
    symlinkSync('loop1', join(dir, 'loop2'));
    await expect(resolveRolePath(join(dir, 'loop1'), uid)).rejects.toMatchObject({ code: 'ELOOP' });
  });
});

describe('the CLI refuses an unsafe path (exit 3), unless --allow-unsafe-path', () => {
  it('a dangling symlink is not replaced, nor followed to create a file', async () => {
    const dir = folder('cli-dangling');
    const link = join(dir, 'userlist.txt');
    symlinkSync(join(dir, 'elsewhere.txt'), link);
    const r = await addRole(link);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^pgauth: role file .*userlist\.txt is a symlink to .*elsewhere\.txt, which does not exist/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(() => statSync(join(dir, 'elsewhere.txt'))).toThrow();
  });

  it('a group-writable folder: refused by writers, readers and check-roles; the override warns and writes 0600', async () => {
    const dir = folder('cli-group', 0o770);
    const file = join(dir, 'userlist.txt');
    writeFileSync(file, `"bob" "${MD5}"\n`, { mode: 0o600 });
    const before = readFileSync(file, 'utf8');
    for (const args of [
      ['add-role', 'admin', '--password-stdin'],
      ['remove-role', 'bob'],
      ['list-roles'],
      ['list-roles', '--json'],
      ['check-roles'],
      ['export'],
      ['verify', 'bob', '--password-stdin'],
    ]) {
      const r = await pgauth([...args, '--roles', file], { input: 'pencil\n' });
      expect(r.code, args.join(' ')).toBe(3);
      expect(r.stderr, args.join(' ')).toBe(`pgauth: unsafe role file path ${file}: ${dir}: folder writable by group or others without the sticky bit (mode 0770); another local user could replace or read it (fix the owner or mode, or pass --allow-unsafe-path)\n`);
      // SPEC §0: with --json stdout holds the error document, without it nothing.
      if (args.includes('--json')) expect(JSON.parse(r.stdout)).toEqual({ ok: false, error: { kind: 'usage', message: expect.stringContaining('unsafe role file path') } });
      else expect(r.stdout).toBe('');
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
    const ok = await addRole(file, '--allow-unsafe-path');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain(`pgauth: warning: ${file}: unsafe path (--allow-unsafe-path): ${dir}: folder writable by group or others without the sticky bit (mode 0770)`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const list = await pgauth(['list-roles', '--json', '--roles', file, '--allow-unsafe-path']);
    expect(list.code).toBe(0);
    expect((JSON.parse(list.stdout) as { roles: unknown[] }).roles).toHaveLength(2);
    expect(list.stderr).toContain('unsafe path (--allow-unsafe-path)');
  });

  it('a new file in a folder with the sticky bit (like /tmp) is fine', async () => {
    const dir = folder('cli-sticky', 0o1777);
    const r = await addRole(join(dir, 'userlist.txt'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(statSync(join(dir, 'userlist.txt')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'userlist.txt')).uid).toBe(uid);
  });

  it('serve refuses to start on an unsafe path (exit 3), and starts with the override and a warning', async () => {
    const dir = folder('serve-unsafe', 0o777);
    const file = join(dir, 'userlist.txt');
    writeFileSync(file, `"bob" "${MD5}"\n`, { mode: 0o600 });
    const r = await pgauth(['serve', '--port', '0', '--roles', file]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^pgauth: unsafe role file path .*: folder writable by group or others without the sticky bit \(mode 0777\)/);
    const served = await startServe(['--roles', file, '--allow-unsafe-path']);
    try {
      const warning = await served.waitForLine((l) => l.event === 'warning', 'the unsafe-path warning');
      expect(warning.message).toContain(`${file}: unsafe path (--allow-unsafe-path): ${dir}: folder writable by group or others`);
    } finally {
      await served.stop();
    }
  });
  it('hba check --roles refuses an unsafe role file too, and reads it with the override', async () => {
    const dir = folder('hba-unsafe', 0o777);
    const file = join(dir, 'userlist.txt');
    writeFileSync(file, `"bob" "${MD5}" member-of=admins\n`, { mode: 0o600 });
    const hba = join(tmp.path, 'pg_hba.conf');
    writeFileSync(hba, 'host all +admins 127.0.0.1/32 scram-sha-256\n');
    const args = ['hba', 'check', hba, '--user', 'bob', '--addr', '127.0.0.1', '--roles', file];
    const r = await pgauth(args);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`unsafe role file path ${file}: ${dir}: folder writable by group or others`);
    const ok = await pgauth([...args, '--allow-unsafe-path', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ decision: 'method', method: 'scram-sha-256' });
    expect(ok.stderr).toContain('unsafe path (--allow-unsafe-path)');
  });

  it('serve keeps its roles when a reload finds the path made unsafe', async () => {
    const dir = folder('serve-reload');
    const file = join(dir, 'userlist.txt');
    writeFileSync(file, `"bob" "${MD5}"\n`, { mode: 0o600 });
    const served = await startServe(['--roles', file, '--no-watch']);
    try {
      chmodSync(dir, 0o777);
      const from = served.lines.length;
      served.child.kill('SIGHUP');
      const reload = await served.waitForLine((l) => l.event === 'reload', 'the reload line', from);
      expect(reload).toMatchObject({ ok: false });
      expect(String(reload.error)).toMatch(/unsafe role file path .*folder writable by group or others without the sticky bit \(mode 0777\).*; keeping the previous roles$/);
    } finally {
      await served.stop();
    }
  });
});

describeWith(IS_ROOT ? undefined : 'needs root (runuser -u nobody makes files and symlinks owned by another user)', 'files and symlinks of another local user (the issue)', () => {
  it("a nobody-owned symlink in a 0777 folder does not redirect the write into root's file, even with the override", async () => {
    const dir = folder('issue-ww', 0o711);
    const ww = join(dir, 'ww');
    mkdirSync(ww);
    chmodSync(ww, 0o777);
    const victim = join(dir, 'victim');
    writeFileSync(victim, '');
    chmodSync(victim, 0o644);
    asNobody(`ln -s '${victim}' '${ww}/userlist.txt'`);
    for (const extra of [[], ['--allow-unsafe-path']]) {
      const r = await addRole(join(ww, 'userlist.txt'), ...extra);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`unsafe role file path ${ww}/userlist.txt: symlink owned by uid`);
      expect(readFileSync(victim, 'utf8')).toBe('');
      expect(statSync(victim).mode & 0o777).toBe(0o644);
    }
    const list = await pgauth(['list-roles', '--roles', join(ww, 'userlist.txt')]);
    expect(list.code).toBe(3);
  });

  it('a file pre-created 0666 by another user is refused; with the override it is written with a warning', async () => {
    const dir = folder('issue-0666', 0o777);
    const file = join(dir, 'userlist.txt');
    asNobody(`umask 0; : > '${file}'`);
    chmodSync(dir, 0o755);
    const r = await addRole(file);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^pgauth: unsafe role file path .*userlist\.txt: file owned by uid \d+, not by root;/);
    expect(readFileSync(file, 'utf8')).toBe('');
    const ok = await addRole(file, '--allow-unsafe-path');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/warning: .*unsafe path \(--allow-unsafe-path\): .*: file owned by uid/);
  });

  it('a folder owned by another user is refused; a symlink of ours into a file of another user is never written through', async () => {
    const dir = folder('issue-owner');
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs);
    execFileSync('chown', ['nobody', theirs]);
    const r = await addRole(join(theirs, 'userlist.txt'));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${theirs}: folder owned by uid`);
    const target = join(dir, 'their-file.txt');
    writeFileSync(target, '', { mode: 0o600 });
    execFileSync('chown', ['nobody', target]);
    symlinkSync(target, join(dir, 'link.txt'));
    const w = await addRole(join(dir, 'link.txt'), '--allow-unsafe-path');
    expect(w.code).toBe(3);
    expect(w.stderr).toContain("never writes through a symlink into another user's file");
    expect(readFileSync(target, 'utf8')).toBe('');
  });
});

describe('a lock path that is not a lock', () => {
  it('a plain file, a symlink or a FIFO at FILE.lock is reported at once (exit 3), naming it', async () => {
    const dir = folder('locks');
    const file = join(dir, 'userlist.txt');
    writeFileSync(file, `"bob" "${MD5}"\n`, { mode: 0o600 });
    const lock = `${file}.lock`;
    const kinds: Array<[string, () => void]> = [
      ['a plain file', () => writeFileSync(lock, 'x')],
      ['a symlink', () => symlinkSync(dir, lock)],
      ['a FIFO', () => execFileSync('mkfifo', [lock])],
      ['a folder with files in it', () => (mkdirSync(lock), writeFileSync(join(lock, 'x'), ''))],
    ];
    for (const [what, make] of kinds) {
      make();
      const r = await pgauth(['remove-role', 'bob', '--roles', file]);
      expect(r.code, what).toBe(3);
      expect(r.stderr).toBe(`pgauth: cannot lock role file ${file}: ${lock} is ${what}, not pgauth's lock (an empty folder); remove it if no pgauth is running\n`);
      expect(readFileSync(file, 'utf8')).toContain('"bob"');
      execFileSync('rm', ['-rf', lock]);
    }
    const ok = await pgauth(['remove-role', 'bob', '--roles', file]);
    expect(ok.code, ok.stderr).toBe(0);
  });
});
