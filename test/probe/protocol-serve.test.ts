/**
 * The probe's protocol report against pgauth serve, as SPEC §7 says serve
 * behaves: the default --server-version 18.0 speaks 3.2 with a 32-byte cancel
 * key, answers the 3.9999 grease request with NegotiateProtocolVersion
 * 196610 (3.2) naming _pq_.test_protocol_negotiation; --server-version 17
 * speaks 3.0 only. (serve's 3.2 support lands from a parallel branch.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScramSecret } from '../../src/secrets/index.js';
import { tempDir } from '../helpers/tmp.js';
import { probeJson } from './helpers.js';
import { startServe } from '../helpers/serve.js';

const PW = 'proto-s3cret';

describe('pgauth probe protocol versions against pgauth serve', () => {
  const tmp = tempDir('pgauth-probe-proto-serve-');
  let roles: string;
  beforeAll(() => {
    roles = join(tmp.path, 'userlist.txt');
    writeFileSync(roles, `"alice" "${buildScramSecret(PW)}"\n`, { mode: 0o600 });
  });
  afterAll(() => tmp.remove());

  const withServe = async (args: string[], fn: (port: number) => Promise<void>) => {
    const s = await startServe(['--roles', roles, '--auth', 'scram-sha-256', ...args]);
    try {
      await fn(s.port);
    } finally {
      await s.stop();
    }
  };
  const login = (port: number, extra: string, args: string[] = []) =>
    probeJson([`host=127.0.0.1 port=${port} dbname=postgres sslmode=disable ${extra}`, '-U', 'alice', '--password-stdin', ...args], { input: PW + '\n' });

  it('default server version (18.0): 3.2 with a 32-byte cancel key; 3.0 with 4 bytes when 3.0 is asked for', () =>
    withServe([], async (port) => {
      const r = await login(port, 'max_protocol_version=3.2', ['--expect-protocol', '3.2']);
      expect(r.code, r.stdout).toBe(0);
      expect(r.json.protocol).toMatchObject({ version: '3.2', cancelKeyBytes: 32, negotiated: false });
      const plain = await login(port, '');
      expect(plain.code, plain.stdout).toBe(0);
      expect(plain.json.protocol).toMatchObject({ version: '3.0', cancelKeyBytes: 4, negotiated: false });
    }));

  it('--grease: NegotiateProtocolVersion 196610 (3.2) naming _pq_.test_protocol_negotiation, then the login goes on', () =>
    withServe([], async (port) => {
      const r = await login(port, '', ['--grease', '--trace']);
      expect(r.code, r.stdout).toBe(0);
      expect(r.json.protocol).toMatchObject({
        version: '3.2',
        requested: '3.9999',
        negotiated: true,
        grease: true,
        unrecognizedOptions: ['_pq_.test_protocol_negotiation'],
        cancelKeyBytes: 32,
      });
      const v = r.json.trace.find((t: { type: string }) => t.type === 'NegotiateProtocolVersion');
      expect(v.detail).toContain('(196610)');
    }));

  it('--server-version 17: 3.2 is negotiated down to 3.0; --expect-protocol 3.2 exits 4', () =>
    withServe(['--server-version', '17.0'], async (port) => {
      const r = await login(port, 'max_protocol_version=3.2', ['--expect-protocol', '3.2']);
      expect(r.code).toBe(4);
      expect(r.json.protocol).toMatchObject({ version: '3.0', cancelKeyBytes: 4, negotiated: true });
      const g = await login(port, '', ['--grease']);
      expect(g.code, g.stdout).toBe(0);
      expect(g.json.protocol).toMatchObject({ version: '3.0', negotiated: true, unrecognizedOptions: ['_pq_.test_protocol_negotiation'] });
    }));
});
