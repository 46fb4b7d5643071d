/**
 * The probe's diagnosis catalogue (SPEC §4) against a real PostgreSQL of one
 * major (SPEC §7): one cluster per version, one small test file per version
 * (postgres-14.test.ts ... postgres-18.test.ts) so vitest runs them side by
 * side. Each case asserts diagnosis.code, the SQLSTATE and the exit code; a
 * case a version cannot produce is skipped visibly with the reason.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { makeCerts, type CertSet } from '../helpers/certs.js';
import { describeWith, pgMissing } from '../helpers/env.js';
import { startCluster, type Cluster } from '../helpers/pg.js';
import { tempDir } from '../helpers/tmp.js';
import { pgInstall, pgInstallMissing, type ServerVersion } from '../helpers/versions.js';
import { probeJson, type JsonRun } from './helpers.js';
import { loginCases } from './catalogue-logins.js';
import { serverFailureCases } from './catalogue-failures.js';
import { tlsCases } from './catalogue-tls.js';
import { notReadyCases } from './catalogue-ready.js';

export const ALICE_PW = 'alice-s3cret-pw';
export const MD5_PW = 'md5-s3cret-pw';

/** What the cases share; `pg`, `certs` and `otherCa` exist once beforeAll ran. */
export interface CatalogueContext {
  readonly version: ServerVersion;
  readonly pg: Cluster;
  readonly certs: CertSet;
  readonly otherCa: CertSet;
  /** The npm builds of PostgreSQL (14, 16, 17, 18) are built without PAM, LDAP and GSSAPI. */
  readonly hasPam: boolean;
  /** `host=127.0.0.1 port=... dbname=postgres` */
  at(): string;
  probe(args: string[], o?: { env?: NodeJS.ProcessEnv; input?: string }): Promise<JsonRun>;
  /** The probe with a password on stdin (alice's unless given). */
  withPw(args: string[], pw?: string, env?: NodeJS.ProcessEnv): Promise<JsonRun>;
}

/** it(), or it.skip() with the reason in the title when the version cannot produce the case. */
export function itWhen(skipReason: string | undefined, title: string, fn: () => Promise<void>, timeout?: number): void {
  if (skipReason === undefined) it(title, fn, timeout);
  else it.skip(`${title} [skipped: ${skipReason}]`, fn);
}

/**
 * The whole catalogue against PostgreSQL `version`; `extra` adds cases on
 * the same cluster (the version-independent ones run against one version).
 */
export function probeCatalogue(version: ServerVersion, extra?: (c: CatalogueContext) => void): void {
  const missing = pgMissing() ?? pgInstallMissing(version);
  describeWith(missing, `pgauth probe against PostgreSQL ${version}`, () => {
    let pg: Cluster | undefined;
    let certs: CertSet | undefined;
    let otherCa: CertSet | undefined;
    const tmp = tempDir(`pgauth-probe-${version}-`);
    /** Every probe of the catalogue: a cause that says "PostgreSQL N and older" must not be about a newer server. */
    const probe = async (args: string[], o: { env?: NodeJS.ProcessEnv; input?: string } = {}) => {
      const r = await probeJson(args, o);
      const claim = /PostgreSQL (\d+) and older/.exec(String(r.json.diagnosis?.cause ?? ''));
      if (claim) expect(Number(claim[1]), `PostgreSQL ${version}: ${r.json.diagnosis.cause}`).toBeGreaterThanOrEqual(version);
      return r;
    };
    const c: CatalogueContext = {
      version,
      get pg() {
        if (!pg) throw new Error('the cluster did not start');
        return pg;
      },
      get certs() {
        return certs!;
      },
      get otherCa() {
        return otherCa!;
      },
      hasPam: pgInstall(version)?.source === 'debian',
      at: () => `host=127.0.0.1 port=${c.pg.port} dbname=postgres`,
      probe,
      withPw: (args, pw = ALICE_PW, env) => probe([...args, '--password-stdin'], { input: pw + '\n', ...(env ? { env } : {}) }),
    };

    beforeAll(async () => {
      mkdirSync(join(tmp.path, 'certs'));
      mkdirSync(join(tmp.path, 'other'));
      certs = makeCerts(join(tmp.path, 'certs'), { clients: ['certuser', 'alice'] });
      otherCa = makeCerts(join(tmp.path, 'other'), { caName: 'some other CA', clients: ['certuser'] });
      pg = await startCluster({ version, ssl: { cert: certs.serverCert, key: certs.serverKey, ca: certs.caCert } });
      await pg.sql(`CREATE ROLE alice LOGIN PASSWORD '${ALICE_PW}'`);
      await pg.sql(`SET password_encryption = 'md5'; CREATE ROLE mdy LOGIN PASSWORD '${MD5_PW}'`);
      await pg.sql(`CREATE ROLE grp NOLOGIN`);
      await pg.sql(`CREATE ROLE limited LOGIN CONNECTION LIMIT 0`);
      await pg.sql(`CREATE ROLE certuser LOGIN`);
      await pg.sql(`CREATE DATABASE appdb`);
      await pg.sql(`REVOKE CONNECT ON DATABASE appdb FROM PUBLIC`);
      for (const k of [...Object.values(certs.clients), ...Object.values(otherCa.clients)]) chmodSync(k.key, 0o600);
    });
    afterAll(async () => {
      await pg?.stop();
      tmp.remove();
    });

    loginCases(c);
    serverFailureCases(c);
    tlsCases(c);
    extra?.(c);
    notReadyCases(c);
  });
}
