/**
 * STYLE rule 1: protocol, SCRAM, secrets, roles, hba, server and probe cores
 * never import terminal libraries, and only cli/main.ts calls process.exit.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../src/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('architecture', () => {
  const all = files(SRC).map((p) => ({ path: relative(SRC, p), text: readFileSync(p, 'utf8') }));

  it('keeps terminal libraries out of the core modules', () => {
    const offenders = all
      .filter((f) => !f.path.startsWith('cli/'))
      .filter((f) => /from '(chalk|@inquirer\/prompts|cli-table3)'/.test(f.text))
      .map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('keeps the core free of the CLI layer (no import from cli/ outside it)', () => {
    const offenders = all.filter((f) => !f.path.startsWith('cli/') && /from '(\.\.\/)+cli\//.test(f.text)).map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('calls process.exit only in cli/main.ts', () => {
    const offenders = all.filter((f) => f.path !== 'cli/main.ts' && /process\.exit\(/.test(f.text)).map((f) => f.path);
    expect(offenders).toEqual([]);
  });

  it('uses .js suffixes on every relative import', () => {
    const bad = all.flatMap((f) =>
      [...f.text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!).filter((s) => !s.endsWith('.js')).map((s) => `${f.path}: ${s}`),
    );
    expect(bad).toEqual([]);
  });
});
