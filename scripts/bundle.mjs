#!/usr/bin/env node
// The build's second step (issue 16): bundle the CLI with rolldown into
// dist/bundle/, which is what bin/pgauth.cjs — and so `npx pgauth` and an
// installed `pgauth` — runs. tsc type-checks and emits dist/ for the tests
// first; only dist/bundle/ is packed (package.json "files").
//
// - The CLI is CommonJS (pgauth.cjs and its *.cjs chunks): Node loads CJS
//   with synchronous reads, where its ES module loader resolves, reads and
//   links every file through promises; on this machine that is ~20 ms of a
//   probe's start.
// - One entry, split where the code imports lazily: each command's
//   definition and action are dynamic imports (src/cli/commands/index.ts), so
//   a command loads its own chunks and not the others'. The libraries only
//   some paths need (the X.509 stack that makes certificates, the prompts,
//   jose, the lock file, commander, chalk — loaded only when colour can come
//   out) keep chunks of their own.
// - The PAM worker thread and the GitHub Action are ES modules of their own.
// - Minified, with source maps beside every file: bin/pgauth.cjs turns them
//   on for --debug, so stack traces name src/*.ts lines.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'rolldown';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = `${root}dist/bundle`;

const vendor = (names) => new RegExp(`[\\\\/]node_modules[\\\\/](${names.join('|')})[\\\\/]`);

const groups = [
  { name: 'x509', test: vendor(['@peculiar', 'reflect-metadata', 'asn1js', 'pvtsutils', 'pvutils', 'tslib', 'tsyringe', '@noble', 'bytestreamjs', 'pkijs']) },
  { name: 'lockfile', test: vendor(['proper-lockfile', 'graceful-fs', 'retry']) },
  { name: 'jose', test: vendor(['jose']) },
  { name: 'prompts', test: vendor(['@inquirer', 'mute-stream', 'cli-width', 'fast-string-width', 'fast-string-truncated-width', 'fast-wrap-ansi']) },
  { name: 'commander', test: vendor(['commander']) },
  { name: 'chalk', test: vendor(['chalk']) },
];

/**
 * commander requires node:child_process (and through it dgram, net's
 * relatives) at load, for executable subcommands, which pgauth has none of:
 * ~6 ms of every start. Load it when spawn is first called instead. The
 * build fails if commander's line changes, so an upgrade cannot skip this
 * silently.
 */
const lazyChildProcess = {
  name: 'pgauth:lazy-child-process',
  transform(code, id) {
    if (!/[\\/]node_modules[\\/]commander[\\/]lib[\\/]command\.js$/.test(id)) return null;
    const eager = "const childProcess = require('node:child_process');";
    if (!code.includes(eager)) throw new Error(`scripts/bundle.mjs: commander's "${eager}" is gone; update lazyChildProcess`);
    const lazy = "let childProcessModule; const childProcess = { spawn: (...args) => (childProcessModule ??= require('node:child_process')).spawn(...args) };";
    return { code: code.replace(eager, lazy), map: null };
  },
};

const common = {
  cwd: root,
  plugins: [lazyChildProcess],
  platform: 'node',
  // koffi is a native addon (a runtime dependency); node:* is Node's own.
  external: [/^node:/, 'koffi'],
  logLevel: 'warn',
  onLog(level, log, handler) {
    // A module imported both statically and lazily stays where it is: expected here.
    if (log.code !== 'INEFFECTIVE_DYNAMIC_IMPORT') handler(level, log);
  },
};
const output = { dir, sourcemap: true, minify: true };

await rm(dir, { recursive: true, force: true });
await build({
  ...common,
  input: { pgauth: 'src/cli/run.ts' },
  preserveEntrySignatures: false,
  output: {
    ...output,
    format: 'cjs',
    entryFileNames: '[name].cjs',
    chunkFileNames: '[name]-[hash].cjs',
    codeSplitting: { groups },
  },
});
// src/pam/index.ts starts the worker from ./worker.js beside its chunk.
await build({ ...common, input: { worker: 'src/pam/worker.ts' }, output: { ...output, format: 'esm', entryFileNames: '[name].js', codeSplitting: false } });
await build({ ...common, input: { action: 'src/action/main.ts' }, output: { ...output, format: 'esm', entryFileNames: '[name].js', codeSplitting: false } });
