/** hba lint and hba check on PostgreSQL 18's oauth lines. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

const tmp = tempDir('pgauth-oauth-hba-');
afterAll(() => tmp.remove());

it('lint: a missing scope is an error, an http issuer a warning; check reports the options', async () => {
  const file = join(tmp.path, 'pg_hba.conf');
  writeFileSync(
    file,
    'host all all 127.0.0.1/32 oauth issuer="http://issuer.example" scope="openid" map=m1\n' +
      'host all all ::1/128 oauth issuer="https://issuer.example" scope="openid" delegate_ident_mapping=1\n' +
      'host all all 10.0.0.0/8 oauth issuer="https://issuer.example"\n',
  );
  const lint = await pgauth(['hba', 'lint', '--json', file]);
  expect(lint.code).toBe(1);
  const doc = JSON.parse(lint.stdout) as { errors: number; warnings: Array<{ line: number; message: string }>; lines: Array<{ line_number: number; error: string | null }> };
  expect(doc.errors).toBe(1);
  expect(doc.lines.find((l) => l.line_number === 3)?.error).toBe('authentication method "oauth" requires argument "scope" to be set');
  expect(doc.warnings).toEqual([{ file, line: 1, message: expect.stringContaining('oauth issuer "http://issuer.example" is not an https URL') }]);

  writeFileSync(file, 'host all all 127.0.0.1/32 oauth issuer="https://issuer.example" scope="openid postgres" map=m1\n');
  const check = await pgauth(['hba', 'check', file, '--user', 'alice', '--addr', '127.0.0.1']);
  expect(check.code).toBe(0);
  expect(check.stdout).toContain('method: oauth');
  expect(check.stdout).toContain('options: issuer=https://issuer.example scope=openid postgres map=m1');
});
