import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readLogTail } from '../../src/probe/server-log/index.js';
import { tempDir } from '../helpers/tmp.js';
import { causeOfDetail, parseHbaDetail, refineFromLogText, sniffLogFormat } from '../../src/probe/server-log/refine.js';
import { causeDiagnosis } from '../../src/probe/server-log/cause-diagnosis.js';
import { compilePrefix, parseStderrLog } from '../../src/probe/server-log/stderr-log.js';
import { parseCsvLog, parseJsonLog } from '../../src/probe/server-log/structured-log.js';
import { parseLogTimestamp } from '../../src/probe/server-log/record.js';

// Lines as PostgreSQL 15 wrote them with Debian's prefix (test/cause/server-log.test.ts makes them for real).
const PG15 = [
  '2026-12-02 08:20:04.395 UTC [31399] LOG:  database system is ready to accept connections',
  '2026-12-02 08:20:04.537 UTC [31433] [unknown]@[unknown] LOG:  connection received: host=127.0.0.1 port=38438',
  '2026-12-02 08:20:04.614 UTC [31445] [unknown]@[unknown] LOG:  connection received: host=127.0.0.1 port=38448',
  '2026-12-02 08:20:04.560 UTC [31433] alice@postgres FATAL:  password authentication failed for user "alice"',
  '2026-12-02 08:20:04.639 UTC [31445] nobody@postgres FATAL:  password authentication failed for user "nobody"',
  '2026-12-02 08:20:04.639 UTC [31445] nobody@postgres DETAIL:  Role "nobody" does not exist.',
  '\tConnection matched pg_hba.conf line 2: "host all all 127.0.0.1/32 scram-sha-256"',
  '2026-12-02 08:20:04.560 UTC [31433] alice@postgres DETAIL:  Connection matched pg_hba.conf line 2: "host all all 127.0.0.1/32 scram-sha-256"',
].join('\n');
const T0 = Date.parse('2026-12-02T08:20:04.500Z');
const probe = (user: string, extra: object = {}) => ({ user, database: 'postgres', startedAt: T0, endedAt: T0 + 200, ...extra });

describe('stderr with log_line_prefix', () => {
  test("Debian's prefix: fields, DETAIL attached by pid even when interleaved, tab continuation", () => {
    const log = parseStderrLog(PG15);
    expect(log.unparsed).toBe(0);
    const nobody = log.records.find((r) => r.user === 'nobody')!;
    expect(nobody).toMatchObject({ pid: 31445, database: 'postgres', severity: 'FATAL', time: Date.parse('2026-12-02T08:20:04.639Z') });
    expect(nobody.detail).toBe('Role "nobody" does not exist.\nConnection matched pg_hba.conf line 2: "host all all 127.0.0.1/32 scram-sha-256"');
    expect(log.records.find((r) => r.user === 'alice')!.detail).toMatch(/^Connection matched/);
    expect(log.records[0]).toMatchObject({ pid: 31399, user: null, message: 'database system is ready to accept connections' });
  });

  test('%r, %c, %e, padding and %% are read back', () => {
    const p = '%t %-6p %c %r %e %% %u ';
    const line = '2026-12-02 08:20:04 UTC 4242   5f00aa.1092 127.0.0.1(5555) 28P01 % bob FATAL:  password authentication failed for user "bob"';
    const r = parseStderrLog(line, p).records[0]!;
    expect(r).toMatchObject({ pid: 4242, remoteHost: '127.0.0.1', remotePort: 5555, sqlstate: '28P01', user: 'bob', sessionId: '5f00aa.1092' });
    expect(compilePrefix('%c ').capabilities).toMatchObject({ pid: true, remotePort: false, time: false });
  });

  test('timestamps: UTC, numeric offsets; unknown abbreviations give no time', () => {
    expect(parseLogTimestamp('2026-12-02 08:20:04.560 UTC')).toBe(Date.parse('2026-12-02T08:20:04.560Z'));
    expect(parseLogTimestamp('2026-12-02 10:20:04 +02')).toBe(Date.parse('2026-12-02T08:20:04Z'));
    expect(parseLogTimestamp('2026-12-02 08:20:04 IST')).toBeNull();
  });
});

describe('csvlog and jsonlog', () => {
  test('csvlog: quoted fields with newlines, connection_from', () => {
    const csv =
      '2026-12-02 08:20:04.639 UTC,"nobody","postgres",31445,"127.0.0.1:38448",6565a1.7ad5,2,"authentication",2026-12-02 08:20:04 UTC,3/1,0,FATAL,28P01,"password authentication failed for user ""nobody""","Role ""nobody"" does not exist.\nConnection matched file ""/x/pg_hba.conf"" line 2: ""host all all 127.0.0.1/32 scram-sha-256""",,,,,,,,"psql","client backend",,0\n';
    const r = parseCsvLog(csv).records[0]!;
    expect(r).toMatchObject({ pid: 31445, remotePort: 38448, user: 'nobody', sqlstate: '28P01', message: 'password authentication failed for user "nobody"' });
    expect(causeOfDetail(r.detail)).toMatchObject({ code: 'role-missing', hbaLine: { file: '/x/pg_hba.conf', line: 2, method: 'scram-sha-256' } });
  });

  test('jsonlog: one object a line; a broken line is counted, not shown', () => {
    const log = parseJsonLog('{"timestamp":"2026-12-02 08:20:04.639 UTC","user":"x","pid":7,"remote_port":9,"error_severity":"FATAL","state_code":"28P01","message":"m","detail":"d"}\nnot json\n');
    expect(log.unparsed).toBe(1);
    expect(log.records[0]).toMatchObject({ pid: 7, remotePort: 9, user: 'x', detail: 'd' });
  });
});

describe('refine', () => {
  test.each([
    ['Role "x" does not exist.', 'role-missing'],
    ['User "x" has no password assigned.', 'no-password-set'],
    ['User "x" has an expired password.', 'password-expired'],
    ['User "x" does not have a valid SCRAM secret.', 'secret-not-scram'],
    ['Password does not match for user "x".', 'password-mismatch'],
    ['Connection matched pg_hba.conf line 2: "host all all 127.0.0.1/32 scram-sha-256"', 'password-mismatch'],
    ['Connection matched pg_hba.conf line 2: "host all all 127.0.0.1/32 password"', null],
    [null, null],
  ])('%s -> %s', (detail, code) => {
    expect(causeOfDetail(detail).code).toBe(code);
  });

  test('hba line of PostgreSQL 15 and 16+', () => {
    expect(parseHbaDetail('Connection matched pg_hba.conf line 7: "local all all md5"')).toEqual({ file: null, line: 7, text: 'local all all md5', method: 'md5' });
    expect(parseHbaDetail('Connection matched file "/d/pg_hba.conf" line 2: "host all all ::1/128 scram-sha-256"')?.file).toBe('/d/pg_hba.conf');
  });

  test('by client port through log_connections; evidence holds only that connection', () => {
    const r = refineFromLogText(PG15, { probe: probe('nobody', { clientPort: 38448 }) });
    expect(r).toMatchObject({ code: 'role-missing', matchedBy: 'client-port', ambiguous: false, missingSettings: [] });
    expect(r.evidence.every((l) => !l.includes('alice') && !l.includes('31433'))).toBe(true);
    expect(r.evidence.some((l) => l.includes('port=38448'))).toBe(true);
  });

  test('SCRAM mismatch is told by the absence of a cause DETAIL', () => {
    expect(refineFromLogText(PG15, { probe: probe('alice', { clientPort: 38438 }) })).toMatchObject({ code: 'password-mismatch', detail: null, hbaLine: { line: 2 } });
  });

  test('a 28P01 without any DETAIL names log_error_verbosity', () => {
    const terse = PG15.split('\n').filter((l) => !l.includes('DETAIL') && !l.startsWith('\t')).join('\n');
    const r = refineFromLogText(terse, { probe: probe('nobody', { clientPort: 38448 }) });
    expect(r).toMatchObject({ code: 'undetermined', matchedBy: 'client-port' });
    expect(r.missingSettings).toEqual(['log_error_verbosity = default (terse leaves out the DETAIL lines)']);
  });

  test("a client port that led to another user's connection: none of its lines are shown, the user's own are found", () => {
    // Port 38438 was alice's; the probe that used it next is bob's, whose own failure is later in the window.
    const log = `${PG15}\n2026-12-02 08:20:04.650 UTC [31500] bob@postgres FATAL:  password authentication failed for user "bob"\n2026-12-02 08:20:04.650 UTC [31500] bob@postgres DETAIL:  User "bob" has an expired password.`;
    const r = refineFromLogText(log, { probe: probe('bob', { clientPort: 38438 }) });
    expect(r).toMatchObject({ code: 'password-expired', matchedBy: 'user-time' });
    expect(r.evidence.join('\n')).not.toContain('alice');
    const none = refineFromLogText(PG15, { probe: probe('bob', { clientPort: 38438 }) });
    expect(none.evidence).toEqual([]);
  });

  test('no log_connections, no %r: says what is missing, narrows by user and time; two candidates are ambiguous', () => {
    const noConn = PG15.split('\n').filter((l) => !l.includes('connection received')).join('\n');
    const r = refineFromLogText(noConn, { probe: probe('nobody', { clientPort: 38448 }) });
    expect(r).toMatchObject({ code: 'role-missing', matchedBy: 'user-time', ambiguous: false });
    expect(r.missingSettings).toContain('log_connections = on');
    const twice = `${noConn}\n${noConn.replace(/31445/g, '31446')}`;
    expect(refineFromLogText(twice, { probe: probe('nobody') })).toMatchObject({ ambiguous: true, code: 'role-missing', evidence: [] });
  });

  test('outside the time window nothing matches', () => {
    expect(refineFromLogText(PG15, { probe: { ...probe('nobody'), startedAt: T0 + 60_000, endedAt: T0 + 61_000 } }).code).toBe('undetermined');
  });
});

describe('readLogTail', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => (dir = tempDir('pgauth-logtail-')));
  afterAll(() => dir.remove());

  test('reads at most the last N bytes, from the first whole line', () => {
    const path = join(dir.path, 'big.log');
    writeFileSync(path, Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const tail = readLogTail(path, 100);
    expect(tail.truncated).toBe(true);
    expect(Buffer.byteLength(tail.text)).toBeLessThanOrEqual(100);
    expect(tail.text.split('\n')[0]).toMatch(/^line \d+$/);
    expect(tail.text.endsWith('line 999\n')).toBe(true);
    expect(readLogTail(path)).toMatchObject({ truncated: false });
  });

  test('refuses what is not a regular file, and says when the file is missing', () => {
    const fifo = join(dir.path, 'fifo');
    execFileSync('mkfifo', [fifo]);
    expect(() => readLogTail(fifo)).toThrow(expect.objectContaining({ reason: 'not-a-file' }));
    expect(() => readLogTail(join(dir.path, 'none'))).toThrow(expect.objectContaining({ reason: 'missing' }));
  });
});

describe('wording', () => {
  test('names are printed raw by PostgreSQL, quotes included', () => {
    expect(causeOfDetail('Role "we"ird" does not exist.').code).toBe('role-missing');
    const line = '2026-12-02 08:20:04.639 UTC [9] we"ird@postgres FATAL:  password authentication failed for user "we"ird"';
    expect(refineFromLogText(line, { probe: probe('we"ird') })).toMatchObject({ code: 'undetermined', matchedBy: 'user-time', reason: 'the DETAIL names none of the known causes' });
  });
});

describe('the log format of a file', () => {
  test.each([
    ['server.json', 'anything', 'jsonlog'],
    ['server.csv', 'anything', 'csvlog'],
    ['postgresql.log', '{"timestamp":"2026-12-02 08:20:04.639 UTC","pid":7}\n', 'jsonlog'],
    ['postgresql.log', '\n2026-12-02 08:20:04.639 UTC,"nobody","postgres",31445,"127.0.0.1:38448",6565a1.7ad5,2\n', 'csvlog'],
    ['postgresql.log', PG15, 'stderr'],
    ['postgresql.log', '', 'stderr'],
  ])('%s starting %j is %s', (path, text, format) => {
    expect(sniffLogFormat(path, text)).toBe(format);
  });
});

describe('the refined diagnosis', () => {
  test('each cause has its own words, and names the hba line the server matched', () => {
    const hba = parseHbaDetail('Connection matched pg_hba.conf line 3: "host all all 127.0.0.1/32 scram-sha-256"');
    const causes = ['password-mismatch', 'role-missing', 'password-expired', 'no-password-set', 'secret-not-scram'] as const;
    const all = causes.map((code) => causeDiagnosis(code, 'bob', hba));
    expect(all.map((d) => d.code)).toEqual(causes);
    expect(new Set(all.map((d) => d.fix)).size).toBe(causes.length);
    for (const d of all) expect(d.cause).toContain('pg_hba.conf line 3: host all all 127.0.0.1/32 scram-sha-256');
    expect(causeDiagnosis('password-expired', 'bob', null).fix).toContain(`ALTER ROLE "bob" VALID UNTIL 'infinity'`);
  });
});

describe('time zones and reused client ports', () => {
  test('a log_timezone abbreviation pgauth cannot read: the window is not used, the latest connection on the port wins, and the setting is named', () => {
    const older = PG15.replace(/UTC/g, 'CET').replace(/31445/g, '20001').replace('Role "nobody" does not exist.', 'User "nobody" has an expired password.');
    const log = `${older}\n${PG15.replace(/UTC/g, 'CET')}`;
    const r = refineFromLogText(log, { probe: probe('nobody', { clientPort: 38448 }) });
    expect(r).toMatchObject({ code: 'role-missing', matchedBy: 'client-port', ambiguous: false });
    expect(r.evidence.join('\n')).not.toContain('20001');
    expect(r.missingSettings).toEqual(["log_timezone = 'UTC' (or a numeric offset): other zone names cannot be read"]);
  });
});
