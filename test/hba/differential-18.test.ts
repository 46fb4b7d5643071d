/**
 * Differential test against PostgreSQL 18: what PostgreSQL 16+ added to
 * pg_hba.conf (regular expressions for users and databases, include,
 * include_if_exists, include_dir) and PostgreSQL 18's oauth lines. The hba
 * engine, read as PostgreSQL 18 of this build, must give the same login
 * decisions as real login attempts, and the same pg_hba_file_rules rows
 * (rule_number, file_name, line_number, options, errors). One cluster,
 * pg_hba.conf rewritten and reloaded between files.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { join } from 'node:path';
import { describeWith, pgMissing } from '../helpers/env.js';
import type { Cluster } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { pgInstall, pgInstallMissing } from '../helpers/versions.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lintHba } from '../../src/hba/lint.js';
import type { LoadOptions } from '../../src/hba/index.js';
import { BROKEN_LINES, CONNECTIONS, DATABASES, HBA_CASES, OPTIONS_LINES, ROLE_FILE, USERS } from './cases.js';
import { observeAuth, type Observed } from './wire.js';
import { startServe } from '../helpers/serve.js';
import { INCLUDE_VIEW_CASES, OAUTH_LINES, OAUTH_VALIDATOR_LIBRARIES, REGEX_CASE, REGEX_ERROR_LINES } from './cases-18.js';
import { startDiffCluster, compareLogins, engineCopy, engineView, matrixKey, pgView, serverCopy, viewColumns } from './compare.js';

const VERSION = 18;
const tmp = tempDir('pgauth-hba-diff18-');
const checkRoles = join(tmp.path, 'check-userlist.txt');
let cluster: Cluster;
const columns = viewColumns(VERSION);

/** The npm build of PostgreSQL 18 has no GSSAPI, PAM or LDAP; Debian's would have all three. */
const npmBuild = pgInstall(VERSION)?.source === 'npm';
const ENGINE: LoadOptions = {
  serverVersion: VERSION,
  sslEnabled: true,
  oauthValidatorLibraries: OAUTH_VALIDATOR_LIBRARIES,
  ...(npmBuild ? { build: { gssapi: false, pam: false, ldap: false } } : {}),
};

/** PostgreSQL 18's decisions per case, and the engine's folder of the case, for the pgauth serve comparison. */
const pgDecisions = new Map<string, { observed: Map<string, Observed>; dir: string }>();

let caseNo = 0;
/** The engine's copy and the server's copy of one file, the server reloaded; both views. */
async function both(hba: string, files: Record<string, string> = {}) {
  const dir = join(tmp.path, `case-${++caseNo}`);
  const file = await engineCopy(dir, hba, files, ENGINE);
  serverCopy(cluster, files);
  await cluster.setHba(hba);
  return { dir, file, ours: engineView(file, columns, dir, cluster), theirs: await pgView(cluster, columns) };
}

describeWith(pgMissing() ?? pgInstallMissing(VERSION), `pg_hba.conf engine vs a real PostgreSQL ${VERSION}`, () => {
  beforeAll(async () => {
    cluster = await startDiffCluster(tmp.path, checkRoles, VERSION, { oauth_validator_libraries: `'${OAUTH_VALIDATOR_LIBRARIES}'` });
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    tmp.remove();
  });

  for (const hbaCase of [...HBA_CASES, REGEX_CASE]) {
    it(`${hbaCase.name}: the same pg_hba_file_rules rows and the same decision for every connection (PostgreSQL ${VERSION}, matchHba, hba check)`, async () => {
      const { dir, file, ours, theirs } = await both(hbaCase.hba, hbaCase.files);
      expect(ours).toEqual(theirs);
      // PostgreSQL loaded it: no row is refused (a warning such as hostgssenc without GSSAPI still loads).
      expect(theirs.filter((r) => r.error !== null && r.type === null)).toEqual([]);
      expect(file.errors).toEqual([]);
      const { disagreements, observed } = await compareLogins(cluster, file, checkRoles);
      pgDecisions.set(hbaCase.name, { observed, dir });
      expect(disagreements).toEqual([]);
    }, 60_000);
  }

  // pgauth serve --hba on the PostgreSQL 16+ syntax, against PostgreSQL 18's decisions (PostgreSQL 15 cannot read these files).
  for (const hbaCase of [...HBA_CASES.filter((h) => (h.minVersion ?? 0) >= 16), REGEX_CASE]) {
    it(`${hbaCase.name}: pgauth serve --hba gives every connection PostgreSQL ${VERSION}'s method or refusal`, async () => {
      const pg = pgDecisions.get(hbaCase.name);
      expect(pgDecisions.has(hbaCase.name), 'the PostgreSQL run of this case').toBe(true);
      const roles = join(tmp.path, 'serve-userlist.txt');
      writeFileSync(roles, ROLE_FILE, { mode: 0o600 });
      const sockDir = join(pg!.dir, 'sock');
      mkdirSync(sockDir, { recursive: true });
      const common = ['--hba', join(pg!.dir, 'pg_hba.conf'), '--roles', roles, '--tls-self-signed'];
      const [v4, v6] = await Promise.all([startServe([...common, '--host', '127.0.0.1', '--socket-dir', sockDir], { watch: false }), startServe([...common, '--host', '::1'], { watch: false })]);
      try {
        const disagreements: string[] = [];
        for (const c of CONNECTIONS) {
          for (const user of USERS) {
            for (const db of DATABASES) {
              const target = c.kind === 'unix' ? { port: v4.port, socketDir: sockDir } : { host: c.address, port: c.address === '::1' ? v6.port : v4.port };
              const got = await observeAuth(target, user, db, c.ssl);
              let want = pg!.observed.get(matrixKey(c, user, db));
              // An unknown role on an md5 line: this cluster mocks with md5 (password_encryption), serve as PostgreSQL's default does (SCRAM).
              if (user === 'dave' && want === 'md5') want = 'scram-sha-256';
              if (got.observed !== want) disagreements.push(`${matrixKey(c, user, db)}: PostgreSQL ${want}, pgauth serve ${got.observed}`);
            }
          }
        }
        expect(disagreements).toEqual([]);
      } finally {
        await Promise.all([v4.stop(), v6.stop()]);
      }
    }, 60_000);
  }

  for (const c of INCLUDE_VIEW_CASES) {
    it(`include: ${c.name}`, async () => {
      const { ours, theirs } = await both(c.hba, c.files);
      expect(ours).toEqual(theirs);
    });
  }

  it('broken lines: the same lines are in error with the same texts (PostgreSQL 18 wording, this build)', async () => {
    const { ours, theirs } = await both(BROKEN_LINES.map((b) => b.line).join('\n') + '\n');
    // A line PostgreSQL refuses with a message in its log only shows as a row without type or error; its rule numbers shift.
    const silent = new Set(BROKEN_LINES.flatMap((b, i) => (b.viewSilent ? [i + 2] : [])));
    const pick = (rows: Array<Record<string, unknown>>) => rows.filter((r) => !silent.has(r.line_number as number)).map((r) => ({ line: r.line_number, type: r.type, error: r.error }));
    expect(pick(ours)).toEqual(pick(theirs));
    for (const n of silent) expect(theirs.find((r) => r.line_number === n)).toMatchObject({ type: null, error: null });
  });

  it('broken regular expressions: PostgreSQL\'s regerror texts', async () => {
    const { ours, theirs } = await both(REGEX_ERROR_LINES.join('\n') + '\nhost all all all trust\n');
    expect(ours).toEqual(theirs);
  });

  it('options: the options column as PostgreSQL 18 shows it (lines for methods this build lacks are refused alike)', async () => {
    const { ours, theirs } = await both(OPTIONS_LINES.join('\n') + '\n');
    expect(ours).toEqual(theirs);
  });

  it('hostssl with ssl = off: the line loads with a warning and no rule number, as the engine told sslEnabled: false shows it', async () => {
    const body = 'hostssl all all all md5\nhost all all all trust\n';
    await cluster.sql('ALTER SYSTEM SET ssl = off');
    await cluster.reload();
    try {
      const dir = join(tmp.path, `case-${++caseNo}`);
      const file = await engineCopy(dir, body, {}, { ...ENGINE, sslEnabled: false });
      await cluster.setHba(body);
      const theirs = await pgView(cluster, columns);
      expect(engineView(file, columns, dir, cluster)).toEqual(theirs);
      expect(theirs.map((r) => r.rule_number)).toEqual([1, null, 2]);
    } finally {
      await cluster.sql('ALTER SYSTEM SET ssl = on');
      await cluster.reload();
    }
  });

  it('hba lint\'s fixture: PostgreSQL 18 refuses the same lines (cert on a host line is its own error), loads the rest', async () => {
    const text = readFileSync(fileURLToPath(new URL('./fixtures/lint-findings.conf', import.meta.url)), 'utf8');
    const { file, ours, theirs } = await both(text);
    const pick = (rows: Array<Record<string, unknown>>) => rows.map((r) => ({ line: r.line_number, type: r.type, error: r.error }));
    expect(pick(ours)).toEqual(pick(theirs));
    // Line 13 of the fixture, after the admin line.
    expect(theirs.find((r) => r.line_number === 14)?.error).toBe('cert authentication is only supported on hostssl connections');
    expect(lintHba(file).filter((f) => f.severity === 'error' && f.code === 'cert-not-hostssl').map((f) => f.line)).toEqual([14]);
  });

  it('lines hba lint calls shadowed never decide a real login; the engine agrees with PostgreSQL 18 on every connection', async () => {
    const body = [
      'host    all    all        ::/0           scram-sha-256',
      'host    appdb  all        ::1/128        md5',
      'hostssl all    alice,bob  127.0.0.0/8    trust',
      'hostssl appdb  alice      127.0.0.1/32   password',
      'host    all    all        127.0.0.1/32   reject',
    ].join('\n') + '\n';
    const dir = join(tmp.path, `case-${++caseNo}`);
    const file = await engineCopy(dir, body, {}, ENGINE);
    await cluster.setHba(body);
    // After the admin line: lines 3 and 5 are shadowed, by lines 2 and 4.
    expect(lintHba(file).filter((f) => f.code === 'shadowed').map((f) => f.line)).toEqual([3, 5]);
    const { disagreements, observed } = await compareLogins(cluster, file, checkRoles);
    expect(disagreements).toEqual([]);
    const methods = new Set(observed.values());
    expect(methods.has('md5') || methods.has('password')).toBe(false);
    // The shadowing lines do decide logins (not a pass by an empty matrix).
    expect(methods.has('scram-sha-256') && methods.has('trust')).toBe(true);
  });

  it('oauth lines: issuer, scope, validator, map, delegate_ident_mapping read and refused as PostgreSQL 18 does', async () => {
    const { ours, theirs } = await both(OAUTH_LINES.join('\n') + '\n');
    expect(ours).toEqual(theirs);
    // Not a pass by accident: some lines load, some are refused.
    expect(theirs.some((r) => r.auth_method === 'oauth')).toBe(true);
    expect(theirs.some((r) => typeof r.error === 'string' && /oauth/.test(r.error))).toBe(true);
  });
});
