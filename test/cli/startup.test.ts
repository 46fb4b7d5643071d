/**
 * What a command loads at start (issue 16): the bundle's probe and
 * `--version` leave out what they do not use — child_process (commander
 * requires it for executable subcommands; the bundle makes it lazy), TLS
 * for a connection without it, a stream on stdin when nothing is read, the
 * X.509 library, the prompts, chalk when no colour can come out (a pipe,
 * --json, NO_COLOR), and node:fs/promises when no report file is written. Node's own list of loaded modules is read
 * at exit in the real process (bin/pgauth.cjs, the bundle).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PGAUTH_BIN, run } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('pgauth-startup-');
afterAll(() => tmp.remove());

/** Node's built-in modules and the bundle's files that `args` loaded, from a preload that writes them at exit. */
async function loaded(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ builtins: string[]; files: string[] }> {
  const out = join(tmp.path, `loaded-${Math.random().toString(36).slice(2)}.json`);
  const preload = join(tmp.path, 'preload.cjs');
  writeFileSync(
    preload,
    `process.on('exit', () => require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify({ builtins: process.moduleLoadList, files: Object.keys(require.cache) })));\n`,
  );
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'FORCE_COLOR' && k !== 'NO_COLOR'));
  const r = await run(process.execPath, ['-r', preload, PGAUTH_BIN, ...args], { env: { ...base, ...env } });
  expect(r.stderr).toBe('');
  const doc = JSON.parse(readFileSync(out, 'utf8')) as { builtins: string[]; files: string[] };
  return { builtins: doc.builtins.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length)), files: doc.files };
}

describe('start-up', () => {
  it('a probe over plain TCP loads neither child_process nor tls, opens no stream on stdin, and loads no X.509 library or prompts', async () => {
    const { builtins, files } = await loaded(['probe', 'host=127.0.0.1 port=1 user=x dbname=x sslmode=disable', '--json']);
    expect(builtins).toContain('net');
    for (const unused of ['child_process', 'dgram', 'tls', '_tls_wrap', 'internal/fs/streams', 'fs/promises', 'worker_threads']) expect(builtins, unused).not.toContain(unused);
    expect(files.every((f) => f.includes('/dist/bundle/') || f.endsWith('preload.cjs') || f.endsWith('pgauth.cjs')), files.join('\n')).toBe(true);
    expect(files.filter((f) => /\/(x509|prompts|jose|lockfile|chalk)-[^/]*\.cjs$/.test(f))).toEqual([]);
  });

  it('chalk loads only when colour can come out: FORCE_COLOR=1 loads it, unless the output is one JSON document', async () => {
    const chalkChunk = (files: string[]) => files.filter((f) => /\/chalk-[^/]*\.cjs$/.test(f));
    const target = 'host=127.0.0.1 port=1 user=x dbname=x sslmode=disable';
    expect(chalkChunk((await loaded(['probe', target], { FORCE_COLOR: '1' })).files)).toHaveLength(1);
    expect(chalkChunk((await loaded(['probe', target, '--json'], { FORCE_COLOR: '1' })).files)).toEqual([]);
    expect(chalkChunk((await loaded(['probe', target], { FORCE_COLOR: '1', NO_COLOR: '1' })).files)).toEqual([]);
  });

  it('--version loads no command, no commander and no crypto', async () => {
    const { builtins, files } = await loaded(['--version']);
    expect(files.filter((f) => /\/commander-[^/]*\.cjs$/.test(f))).toEqual([]);
    expect(builtins).not.toContain('crypto');
    expect(builtins).not.toContain('child_process');
  });
});
