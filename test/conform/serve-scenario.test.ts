/** `pgauth serve --scenario`: flag rules, combined scenarios, and the scenario log line (never a secret). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { psqlMissing, runPsql } from '../helpers/clients.js';
import { describeWith } from '../helpers/env.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { startServe } from '../helpers/serve.js';

const tmp = tempDir('pgauth-scenario-');
afterAll(() => tmp.remove());
const roles = join(tmp.path, 'userlist.txt');
writeFileSync(roles, '', { mode: 0o600 });

describe('serve --scenario usage errors (exit 3, nothing started)', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--scenario', 'nope'], /--scenario: unknown scenario "nope"/],
    [['--scenario', 'strip-plus'], /--scenario strip-plus needs TLS: add --tls-self-signed/],
    [['--scenario', 'plus-without-tls', '--tls-self-signed'], /runs without TLS/],
    [['--scenario', 'cleartext', '--scenario', 'early-ok', '--tls-self-signed'], /do not combine \(both change the authentication method\)/],
    [['--scenario', 'early-ok', '--tls-self-signed', '--hba', roles], /does not go with --hba/],
  ];
  for (const [args, message] of cases) {
    it(args.join(' '), async () => {
      const r = await pgauth(['serve', '--port', '0', '--roles', roles, ...args]);
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    });
  }
});

describeWith(psqlMissing(), 'serve --scenario with psql', () => {
  it('combines strip-plus with bad-signature, and logs what the client sent by kind only', async () => {
    const password = 'Correct-Horse-42';
    writeFileSync(roles, '');
    const add = await pgauth(['add-role', 'alice', '--password-stdin', '--roles', roles], { input: password + '\n' });
    expect(add.code).toBe(0);
    const s = await startServe(['--roles', roles, '--tls-self-signed', '--scenario', 'strip-plus', '--scenario', 'bad-signature']);
    try {
      expect(s.lines[0]).toMatchObject({ event: 'listening', auth: 'scenario:strip-plus+bad-signature', tls: true });
      const r = await runPsql(`host=127.0.0.1 port=${s.port} user=alice dbname=postgres sslmode=require`, 'SELECT 1', { password });
      // Only SCRAM-SHA-256 was offered (strip-plus), and the signature is wrong (bad-signature).
      expect(r.stderr).toContain('incorrect server signature');
      const line = await s.waitForLine((l) => l.event === 'scenario', 'the scenario line');
      expect(line).toMatchObject({ scenarios: ['strip-plus', 'bad-signature'], user: 'alice', tls: true, sent: ['sasl-initial', 'scram-proof'], loggedIn: false });
      expect(s.stdout()).not.toContain(password);
    } finally {
      await s.stop();
    }
  });
});
