#!/usr/bin/env node
// Entry of the pgauth GitHub Action (action.yml, `runs.using: node20`).
// A runner checks the repository out without node_modules or dist/: build
// once in the action's folder, then run the bundled action (src/action/main.ts, scripts/bundle.mjs).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'bundle', 'action.js');
if (!existsSync(compiled)) {
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // stdout carries workflow commands: keep npm's chatter on stderr.
  // Without the inputs: the password must not reach any dependency's install script.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('INPUT_')));
  execFileSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, env, stdio: ['ignore', 2, 2] });
}
const { runAction } = await import(pathToFileURL(compiled).href);
process.exitCode = await runAction({ env: process.env, cli: join(root, 'bin', 'pgauth.cjs'), out: (line) => process.stdout.write(`${line}\n`) });
