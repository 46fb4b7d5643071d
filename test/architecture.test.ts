/**
 * The dependency picture of src/ (STYLE rule 1, issue 10): each top-level
 * folder imports only the folders test/helpers/architecture.ts allows it
 * (type imports, re-exports and dynamic import() included), terminal
 * libraries stay in src/cli, only cli/main.ts calls process.exit. The
 * checker is pure, so it is also fed fake files that it must report.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkImports, importsOf, MAY_IMPORT, type SourceFile } from './helpers/architecture.js';

const SRC = new URL('../src/', import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('architecture of src/', () => {
  const all: SourceFile[] = files(SRC).map((p) => ({ path: relative(SRC, p), text: readFileSync(p, 'utf8') }));

  it('every folder imports only what MAY_IMPORT allows, no terminal library outside cli, process.exit only in cli/main.ts', () => {
    expect(checkImports(all)).toEqual([]);
  });

  it('every folder of src/ has its row in MAY_IMPORT, and the rules of issue 10 hold in the table', () => {
    const folders = new Set(all.map((f) => f.path.split('/')[0]!));
    expect([...folders].filter((f) => !(f in MAY_IMPORT))).toEqual([]);
    expect(MAY_IMPORT.protocol).toEqual([]);
    expect(MAY_IMPORT.server).not.toContain('probe');
    expect(MAY_IMPORT.probe).not.toContain('server');
    for (const [folder, may] of Object.entries(MAY_IMPORT)) if (folder !== 'cli') expect(may, folder).not.toContain('cli');
  });

  it('uses .js suffixes on every relative import', () => {
    const bad = all.flatMap((f) =>
      importsOf(f.text)
        .filter((i) => i.specifier.startsWith('.') && !i.specifier.endsWith('.js'))
        .map((i) => `${f.path}:${i.line}: ${i.specifier}`),
    );
    expect(bad).toEqual([]);
  });
});

describe('checkImports on fake files', () => {
  const clean = (path: string, text: string) => checkImports([{ path, text }]);

  it('reports a forbidden value import', () => {
    expect(clean('server/session.ts', "import { runProbe } from '../probe/probe.js';\n")).toEqual([
      "server/session.ts:1: import '../probe/probe.js': server may not import probe (may: protocol, scram, secrets, hba, files, roles, oauth, pam)",
    ]);
  });

  it('reports a forbidden import type, also when every name is marked type', () => {
    expect(clean('probe/attempt.ts', "import type { AuthStep } from '../server/auth/types.js';\n")).toEqual([
      "probe/attempt.ts:1: import type '../server/auth/types.js': probe may not import server (may: protocol, scram, secrets, hba, files, roles, oauth)",
    ]);
    expect(clean('protocol/codes.ts', "// codes\nimport {\n  type RoleRecord,\n  type Finding,\n} from '../roles/index.js';\n")).toEqual([
      "protocol/codes.ts:2: import type '../roles/index.js': protocol may not import roles (may: nothing of ours)",
    ]);
  });

  it('reports a forbidden export … from', () => {
    expect(clean('hba/index.ts', "export { fatal } from '../server/errors.js';\nexport type { Cmd } from '../cli/program.js';\nexport * from '../probe/index.js';\n")).toEqual([
      "hba/index.ts:1: export from '../server/errors.js': hba may not import server (may: files)",
      "hba/index.ts:2: export from '../cli/program.js': hba may not import cli (may: files)",
      "hba/index.ts:3: export from '../probe/index.js': hba may not import probe (may: files)",
    ]);
  });

  it('reports a dynamic import(), in code and in a type', () => {
    expect(clean('scram/server.ts', "export async function f() {\n  const { x } = await import('../secrets/index.js');\n  return x;\n}\ntype T = import('../roles/index.js').RoleRecord;\n")).toEqual([
      "scram/server.ts:2: dynamic import() '../secrets/index.js': scram may not import secrets (may: nothing of ours)",
      "scram/server.ts:5: dynamic import() '../roles/index.js': scram may not import roles (may: nothing of ours)",
    ]);
  });

  it('reports terminal libraries and process.exit outside the CLI, an unknown folder, and an import out of src/', () => {
    expect(
      clean('roles/store.ts', "import chalk from 'chalk';\nimport { Command } from 'commander';\nconst p = await import('@inquirer/prompts');\nprocess.exit(1);\nprocess.exitCode = 2;\n"),
    ).toEqual([
      "roles/store.ts:1: import 'chalk': a terminal library outside src/cli",
      "roles/store.ts:2: import 'commander': a terminal library outside src/cli",
      "roles/store.ts:3: dynamic import() '@inquirer/prompts': a terminal library outside src/cli",
      'roles/store.ts:4: process.exit outside cli/main.ts',
    ]);
    expect(clean('cli/commands/serve.ts', "import chalk from 'chalk';\nprocess.exit(0);\n")).toEqual(['cli/commands/serve.ts:2: process.exit outside cli/main.ts']);
    expect(clean('metrics/x.ts', "import '../../test/helpers/env.js';\n")).toEqual([
      'metrics/x.ts: folder "metrics" is not in MAY_IMPORT (test/helpers/architecture.ts)',
      "metrics/x.ts:1: import '../../test/helpers/env.js': leaves src/",
    ]);
  });

  it('passes what is allowed: own folder, allowed folders, node: modules, comments', () => {
    expect(
      clean(
        'server/auth/scram.ts',
        "/** import { x } from '../../probe/probe.js' in a comment */\n// process.exit(1)\nimport { createHash } from 'node:crypto';\nimport { fatal } from '../errors.js';\nimport type { ScramSecret } from '../../scram/secret.js';\nexport { OAUTHBEARER } from '../../oauth/oauthbearer.js';\n",
      ),
    ).toEqual([]);
  });
});
