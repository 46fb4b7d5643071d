/**
 * Differential test: for several pg_hba.conf files and a matrix of
 * connections, what matchHba and `hba check` decide agrees with what a real PostgreSQL does
 * with a real login attempt, and what `hba lint` reports agrees with the
 * pg_hba_file_rules view. One cluster (with TLS), pg_hba.conf reloaded
 * between files.
 *
 * Observation (see wire.ts): every line of a file uses a method that shows in
 * the server's first answer (trust = AuthenticationOk, password = cleartext
 * request, md5 = MD5 request, scram-sha-256 = SASL, peer / reject / no entry
 * by their FATAL text), so the answer names the method PostgreSQL chose. The
 * roles have no password: the method request comes before any password check.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeWith, pgMajorVersion, pgMissing } from '../helpers/env.js';
import { waitFor, type Cluster } from '../helpers/pg.js';
import { tempDir, writeServerFile } from '../helpers/tmp.js';
import { hbaFileRules, loadHbaFile, matchHba, type LoadOptions } from '../../src/hba/index.js';
import { hbaCheck } from '../../src/cli/commands/hba/check-connection.js';
import type { ConnectionFacts } from '../../src/hba/decision.js';
import { observeAuth, type Observed } from './wire.js';
import { startServe, type Served } from '../helpers/serve.js';
import { pgauth } from '../helpers/proc.js';
import { ADMIN_LINE, BROKEN_LINES, OPTIONS_LINES, CONNECTIONS, DATABASES, HBA_CASES, ROLE_FILE, USERS, type Conn } from './cases.js';
import { startDiffCluster, compareLogins, factsOf, groupsOf, matrixKey, roleExists } from './compare.js';

const tmp = tempDir('pgauth-hba-diff-');
/** The role file `hba check --roles` reads (the same roles and memberships as ROLE_SQL). */
const checkRoles = join(tmp.path, 'check-userlist.txt');
let cluster: Cluster;

/** PostgreSQL's decision per case and connection, for the serve comparison. */
const pgDecisions = new Map<string, Map<string, Observed>>();

/** Why `pgauth serve --hba` cannot be tested here (its command module is not built with --hba). */
function serveMissing(): string | undefined {
  const built = new URL('../../dist/cli/commands/serve.js', import.meta.url);
  if (!existsSync(built)) return 'pgauth serve is not built (npm run build)';
  return readFileSync(built, 'utf8').includes('--hba') ? undefined : 'the built pgauth serve has no --hba';
}

/** Every decision PostgreSQL made across the files: the matrix must exercise each kind. */
const seen = new Set<string>();

describeWith(pgMissing(), 'pg_hba.conf engine vs a real PostgreSQL', () => {
  beforeAll(async () => {
    cluster = await startDiffCluster(tmp.path, checkRoles);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    tmp.remove();
  });

  const installed = pgMajorVersion() ?? 0;
  /** The engine reads the files as the PostgreSQL it is compared with (texts that changed in 18). */
  const ENGINE: LoadOptions = { serverVersion: installed };

  /** The engine's copy of a case (with the admin line setHba puts first), loaded. */
  async function engineFile(hbaCase: (typeof HBA_CASES)[number]) {
    const dir = join(tmp.path, hbaCase.name.replace(/\W+/g, '-'));
    mkdirSync(dir, { recursive: true });
    for (const [name, body] of Object.entries(hbaCase.files ?? {})) {
      mkdirSync(join(dir, name, '..'), { recursive: true });
      writeFileSync(join(dir, name), body);
    }
    writeFileSync(join(dir, 'pg_hba.conf'), ADMIN_LINE + hbaCase.hba);
    const file = await loadHbaFile(join(dir, 'pg_hba.conf'), ENGINE);
    expect(file.errors).toEqual([]);
    return file;
  }

  for (const hbaCase of HBA_CASES) {
    if (hbaCase.expect) {
      it(`${hbaCase.name}: decisions match the written expectations`, async () => {
        const file = await engineFile(hbaCase);
        for (const [conn, user, db, want] of hbaCase.expect ?? []) {
          const d = matchHba(file, factsOf(CONNECTIONS.find((c) => c.name === conn)!, user, db), groupsOf, { roleExists });
          expect(`${conn} ${user}@${db}: ${d.kind === 'method' ? d.method : d.kind}`).toBe(`${conn} ${user}@${db}: ${want}`);
        }
      });
    }
    const tooOld = hbaCase.minVersion !== undefined && installed < hbaCase.minVersion;
    const title = `${hbaCase.name}: every connection gets the same decision from PostgreSQL, matchHba and hba check`;
    (tooOld ? it.skip : it)(tooOld ? `${title} [skipped: PostgreSQL ${installed} cannot read this syntax (needs ${hbaCase.minVersion}+); differential-18.test.ts compares it with PostgreSQL 18]` : title, async () => {
      const file = await engineFile(hbaCase);
      for (const [name, body] of Object.entries(hbaCase.files ?? {})) {
        mkdirSync(join(cluster.dataDir, name, '..'), { recursive: true });
        writeServerFile(join(cluster.dataDir, name), body, 0o644);
      }
      await cluster.setHba(hbaCase.hba);
      // PostgreSQL loaded it (a file with errors would leave the old rules in place).
      expect(await cluster.sql("select count(*) from pg_hba_file_rules where error is not null")).toBe('0');

      const { disagreements, observed } = await compareLogins(cluster, file, checkRoles);
      pgDecisions.set(hbaCase.name, observed);
      for (const o of observed.values()) seen.add(o);
      expect(disagreements).toEqual([]);

      // And every line reads the same as in PostgreSQL's pg_hba_file_rules view.
      const view = JSON.parse(
        (await cluster.sql(
          'select coalesce(json_agg(t), \'[]\') from (select line_number, type, database, user_name, address, netmask, auth_method, options, error from pg_hba_file_rules order by line_number) t',
        )) || '[]',
      ) as unknown[];
      const ours = hbaFileRules(file).map((r) => ({
        line_number: r.line_number, type: r.type, database: r.database, user_name: r.user_name, address: r.address,
        netmask: r.netmask, auth_method: r.auth_method, options: r.options, error: r.error,
      }));
      expect(ours).toEqual(view);
    }, 60_000);
  }

  it('an unknown role on an md5 line gets a SCRAM mock under the default password_encryption=scram-sha-256', async () => {
    await cluster.setHba('host all all 127.0.0.1/32 md5\n');
    await cluster.sql("ALTER SYSTEM SET password_encryption = 'scram-sha-256'");
    await cluster.reload();
    try {
      expect((await observeAuth({ host: '127.0.0.1', port: cluster.port }, 'dave', 'appdb', false)).observed).toBe('scram-sha-256');
      expect((await observeAuth({ host: '127.0.0.1', port: cluster.port }, 'alice', 'appdb', false)).observed).toBe('md5');
    } finally {
      await cluster.sql('ALTER SYSTEM RESET password_encryption');
      await cluster.reload();
    }
  });

  it('the matrix saw every kind of decision', () => {
    expect([...seen].sort()).toEqual(['md5', 'no-entry', 'password', 'peer', 'reject', 'scram-sha-256', 'trust']);
  });

  it('a broken file: the same lines are in error, with the same messages, as in pg_hba_file_rules', async () => {
    const body = BROKEN_LINES.map((b) => b.line).join('\n') + '\n';
    const dir = join(tmp.path, 'broken');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'pg_hba.conf'), ADMIN_LINE + body);
    const file = await loadHbaFile(join(dir, 'pg_hba.conf'), ENGINE);
    const ours = new Map(hbaFileRules(file).map((r) => [r.line_number, r.error]));

    const before = cluster.log().length;
    await cluster.setHba(body);
    // PostgreSQL refuses the file and keeps the old rules.
    await waitFor(() => cluster.log().slice(before).includes('pg_hba.conf was not reloaded'), 'PostgreSQL to refuse the file');
    const view = JSON.parse(await cluster.sql('select json_agg(t) from (select line_number, type, error from pg_hba_file_rules order by line_number) t')) as Array<{ line_number: number; type: string | null; error: string | null }>;
    const pg = new Map(view.map((r) => [r.line_number, r.error ?? (r.type === null ? '(refused, message in the log only)' : null)]));

    BROKEN_LINES.forEach((b, i) => {
      const n = i + 2; // after the admin line
      const mine = ours.get(n) ?? null;
      const theirs = pg.get(n) ?? null;
      expect({ line: n, text: b.line, ours: mine }).toEqual({ line: n, text: b.line, ours: b.error === null ? null : b.versionDependent ? expect.stringContaining(b.error) : b.error });
      // Texts that changed between releases: PostgreSQL must still call the line an error.
      if (b.versionDependent) expect(theirs, `PostgreSQL on line ${n}`).toEqual(expect.any(String));
      else if (b.viewSilent) expect({ line: n, pg: theirs }).toEqual({ line: n, pg: '(refused, message in the log only)' });
      else expect({ line: n, pg: theirs }).toEqual({ line: n, pg: b.error });
    });
    await cluster.setHba('host all all all trust\n');
  });
  /** A role that does not exist matches neither `+itsname` nor `samerole` (is_member says no for an unknown role). */
  const UNKNOWN_ROLE_HBA = 'host all +dave 127.0.0.1/32 trust\nhost samerole all 127.0.0.1/32 password\nhost all all 127.0.0.1/32 reject\n';

  it('a role that does not exist matches neither +itsname nor samerole: hba check --roles agrees with PostgreSQL', async () => {
    const dir = join(tmp.path, 'unknown-role');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'pg_hba.conf'), ADMIN_LINE + UNKNOWN_ROLE_HBA);
    await cluster.setHba(UNKNOWN_ROLE_HBA);
    const pg = await observeAuth({ host: '127.0.0.1', port: cluster.port }, 'dave', 'dave', false);
    const check = await hbaCheck({ file: join(dir, 'pg_hba.conf'), user: 'dave', database: 'dave', addr: '127.0.0.1', local: false, ssl: false, replication: false, roles: checkRoles, method: 'md5' });
    expect([pg.observed, check.decision, check.line?.lineNumber]).toEqual(['reject', 'reject', 4]);
    await cluster.setHba('host all all all trust\n');
  });

  it('replication connections: physical ones match only the replication keyword, logical ones (replication=database) never do — matchHba, hba check and PostgreSQL agree', async () => {
    const body = [
      'host replication alice 127.0.0.1/32 md5',
      'host appdb        bob   127.0.0.1/32 password',
      'host replication  bob   ::1/128      reject',
      'host all          all   ::1/128      scram-sha-256',
      'host "replication" carol 127.0.0.1/32 trust',
    ].join('\n') + '\n';
    const dir = join(tmp.path, 'replication');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'pg_hba.conf'), ADMIN_LINE + body);
    const file = await loadHbaFile(join(dir, 'pg_hba.conf'));
    await cluster.setHba(body);
    const disagreements: string[] = [];
    for (const address of ['127.0.0.1', '::1']) {
      for (const user of ['alice', 'bob', 'carol']) {
        for (const [mode, db] of [['true', 'appdb'], ['database', 'appdb'], ['database', 'replication']] as const) {
          const physical = mode === 'true';
          const facts: ConnectionFacts = { transport: 'tcp', remoteAddress: address, ssl: false, gssenc: false, user, database: db, replication: physical };
          const d = matchHba(file, facts, groupsOf, { roleExists });
          const ours = d.kind === 'method' ? d.method : d.kind;
          const check = await hbaCheck({ file: file.path, user, database: db, addr: address, local: false, ssl: false, replication: physical, roles: checkRoles, method: 'md5' });
          const checked = check.decision === 'method' ? check.method : check.decision;
          const pg = await observeAuth({ host: address, port: cluster.port }, user, db, false, { replication: mode });
          if (pg.observed !== ours || pg.observed !== checked) disagreements.push(`${address} ${user} replication=${mode} db=${db}: PostgreSQL ${pg.observed} (${pg.message ?? ''}), matchHba ${ours}, hba check ${checked}`);
          if (!physical || check.decision === 'method') continue;
          // PostgreSQL's text for a refused physical replication connection.
          expect(check.message).toBe(pg.message);
        }
      }
    }
    expect(disagreements).toEqual([]);
    await cluster.setHba('host all all all trust\n');
  });

  it('options: the options column reads as in pg_hba_file_rules (PostgreSQL\'s order, defaults, the last of a repeated option, what an ldapurl carries)', async () => {
    const body = OPTIONS_LINES.join('\n') + '\n';
    const dir = join(tmp.path, 'options');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'pg_hba.conf'), ADMIN_LINE + body);
    const file = await loadHbaFile(join(dir, 'pg_hba.conf'), ENGINE);
    expect(file.errors).toEqual([]);
    await cluster.setHba(body);
    const view = JSON.parse(
      await cluster.sql('select json_agg(t) from (select line_number, auth_method, options, error from pg_hba_file_rules order by line_number) t'),
    ) as unknown[];
    const ours = hbaFileRules(file).map((r) => ({ line_number: r.line_number, auth_method: r.auth_method, options: r.options, error: r.error }));
    expect(ours).toEqual(view);
    await cluster.setHba('host all all all trust\n');
  });

  describeWith(serveMissing(), 'pgauth serve --hba', () => {
    const serveDir = join(tmp.path, 'serve');
    const hbaPath = join(serveDir, 'pg_hba.conf');
    const sockDir = join(tmp.path, 'serve-sock');
    let v4: Served;
    let v6: Served;

    /** Writes a case into the served folder and reloads both servers with SIGHUP; resolves with their reload events. */
    async function serveFile(body: string, files: Record<string, string> = {}) {
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(join(serveDir, name, '..'), { recursive: true });
        writeFileSync(join(serveDir, name), text);
      }
      writeFileSync(hbaPath, body);
      return Promise.all(
        [v4, v6].map((s) => {
          const from = s.lines.length;
          s.hup();
          return s.waitForLine((e) => e.event === 'reload' && e.file === hbaPath, 'the hba reload', from);
        }),
      );
    }

    beforeAll(async () => {
      mkdirSync(serveDir, { recursive: true });
      mkdirSync(sockDir, { recursive: true });
      writeFileSync(join(tmp.path, 'userlist.txt'), ROLE_FILE, { mode: 0o600 });
      writeFileSync(hbaPath, 'host all all all trust\n');
      const common = ['--hba', hbaPath, '--roles', join(tmp.path, 'userlist.txt'), '--tls-self-signed'];
      [v4, v6] = await Promise.all([startServe([...common, '--host', '127.0.0.1', '--socket-dir', sockDir], { watch: false }), startServe([...common, '--host', '::1'], { watch: false })]);
    }, 60_000);

    afterAll(async () => {
      await Promise.all([v4?.stop(), v6?.stop()]);
    });

    for (const hbaCase of HBA_CASES) {
      const tooOld = hbaCase.minVersion !== undefined && installed < hbaCase.minVersion;
      if (hbaCase.expect) {
        it(`${hbaCase.name}: pgauth serve gives the written expectations`, async () => {
          const reloads = await serveFile(ADMIN_LINE + hbaCase.hba, hbaCase.files);
          expect(reloads.map((e) => e.ok)).toEqual([true, true]);
          for (const [conn, user, db, want] of hbaCase.expect ?? []) {
            const c = CONNECTIONS.find((x) => x.name === conn)!;
            const target = c.kind === 'unix' ? { port: v4.port, socketDir: sockDir } : { host: c.address, port: c.address === '::1' ? v6.port : v4.port };
            expect(`${conn} ${user}@${db}: ${(await observeAuth(target, user, db, c.ssl)).observed}`).toBe(`${conn} ${user}@${db}: ${want}`);
          }
        });
      }
      const title = `${hbaCase.name}: login attempts get the same method or refusal from pgauth serve as from PostgreSQL, and psql the same FATAL text`;
      (tooOld ? it.skip : it)(tooOld ? `${title} [skipped: no PostgreSQL ${hbaCase.minVersion}+ to compare with]` : title, async () => {
        const pg = pgDecisions.get(hbaCase.name);
        expect(pgDecisions.has(hbaCase.name), 'the PostgreSQL run of this case').toBe(true);
        const reloads = await serveFile(ADMIN_LINE + hbaCase.hba, hbaCase.files);
        for (const [name, body] of Object.entries(hbaCase.files ?? {})) writeServerFile(join(cluster.dataDir, name), body, 0o644);
        await cluster.setHba(hbaCase.hba); // PostgreSQL back on this case's file, for psql
        expect(reloads.map((e) => e.ok)).toEqual([true, true]);
        const disagreements: string[] = [];
        const jobs: Array<() => Promise<void>> = [];
        for (const c of CONNECTIONS) {
          for (const user of USERS) {
            for (const db of DATABASES) {
              jobs.push(async () => {
                const target = c.kind === 'unix' ? { port: v4.port, socketDir: sockDir } : { host: c.address, port: c.address === '::1' ? v6.port : v4.port };
                const got = await observeAuth(target, user, db, c.ssl);
                let want = pg!.get(matrixKey(c, user, db));
                // An unknown role on an md5 line: PostgreSQL mocks with the type of password_encryption
                // (md5 in this cluster, so md5 shows); pgauth serve mocks like PostgreSQL's default
                // (scram-sha-256), which the test 'an unknown role on an md5 line...' shows PostgreSQL does too.
                if (user === 'dave' && want === 'md5') want = 'scram-sha-256';
                if (got.observed !== want) disagreements.push(`${matrixKey(c, user, db)}: PostgreSQL ${want}, pgauth serve ${got.observed}${got.message ? ` (${got.message})` : ''}`);
              });
            }
          }
        }
        for (let i = 0; i < jobs.length; i += 8) await Promise.all(jobs.slice(i, i + 8).map((j) => j()));
        expect(disagreements).toEqual([]);

        // psql itself: for refused connections, the FATAL line from pgauth serve is PostgreSQL's, word for word.
        const refused = CONNECTIONS.flatMap((c) => USERS.flatMap((u) => DATABASES.map((d) => [c, u, d] as const)))
          .filter(([c, u, d]) => ['reject', 'no-entry'].includes(pg!.get(matrixKey(c, u, d))!))
          .filter((_, i) => i % 3 === 0);
        expect(refused.length).toBeGreaterThan(0);
        const psqlFatal = async (host: string, port: number, c: Conn, user: string, db: string) => {
          const r = await cluster.client('psql', ['-X', '-w', '-h', host, '-p', String(port), '-U', user, '-d', db, '-c', 'select 1'], {
            env: { PGSSLMODE: c.ssl ? 'require' : 'disable', PGPASSWORD: '' },
          });
          return /FATAL:\s+(.*)/.exec(r.stderr)?.[1] ?? `exit ${r.code}: ${r.stderr.trim()}`;
        };
        for (const [c, user, db] of refused) {
          const fromPg = await psqlFatal(c.kind === 'unix' ? cluster.socketDir : c.address, cluster.port, c, user, db);
          const fromServe = await psqlFatal(c.kind === 'unix' ? sockDir : c.address, c.kind === 'tcp' && c.address === '::1' ? v6.port : v4.port, c, user, db);
          expect({ conn: matrixKey(c, user, db), fatal: fromServe }).toEqual({ conn: matrixKey(c, user, db), fatal: fromPg });
        }
      }, 60_000);
    }

    // Regression: serve once built its selector without roleExists, so a role missing from the role
    // file matched +itsname (PostgreSQL: reject).
    it('a role missing from the role file matches neither +itsname nor samerole in pgauth serve either', async () => {
      await serveFile(ADMIN_LINE + UNKNOWN_ROLE_HBA);
      expect((await observeAuth({ host: '127.0.0.1', port: v4.port }, 'dave', 'dave', false)).observed).toBe('reject');
    });

    it('a broken file on SIGHUP keeps the old rules, and the log names the line at fault', async () => {
      await serveFile(ADMIN_LINE + 'host all alice 127.0.0.1/32 md5\nhost all all all reject\n');
      expect((await observeAuth({ host: '127.0.0.1', port: v4.port }, 'alice', 'appdb', false)).observed).toBe('md5');
      const [bad] = await serveFile(ADMIN_LINE + 'host all alice 127.0.0.1/32 trust\nhost all all all magic\n');
      expect(bad!.ok).toBe(false);
      expect(String(bad!.error)).toContain(`${hbaPath}:3: invalid authentication method "magic"`);
      // Still the old rules: md5 for alice, reject for the rest.
      expect((await observeAuth({ host: '127.0.0.1', port: v4.port }, 'alice', 'appdb', false)).observed).toBe('md5');
      expect((await observeAuth({ host: '127.0.0.1', port: v4.port }, 'bob', 'appdb', false)).observed).toBe('reject');
      // A good file again is taken.
      const [good] = await serveFile(ADMIN_LINE + 'host all alice 127.0.0.1/32 password\n');
      expect(good!.ok).toBe(true);
      expect((await observeAuth({ host: '127.0.0.1', port: v4.port }, 'alice', 'appdb', false)).observed).toBe('password');
      expect((await observeAuth({ host: '127.0.0.1', port: v4.port }, 'bob', 'appdb', false)).observed).toBe('no-entry');
    });

    it('a broken file at start: serve refuses to start and names the line (exit 3)', async () => {
      const bad = join(tmp.path, 'bad-start.conf');
      writeFileSync(bad, 'local all all trust\nhost all all 127.0.0.1/33 trust\n');
      const r = await pgauth(['serve', '--hba', bad, '--roles', join(tmp.path, 'userlist.txt'), '--port', '0'], { timeoutMs: 15_000 });
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`${bad}:2: invalid CIDR mask in address "127.0.0.1/33"`);
    });
  });
});
