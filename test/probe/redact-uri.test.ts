/** A password in a postgresql:// URI, as user:pw@ or ?password=, never reaches a message, a report or JSON. */
import { describe, expect, it } from 'vitest';
import { redactUri, uriHasPassword } from '../../src/probe/import-live.js';
import { pgauth } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';

describe('passwords in URIs', () => {
  it.each([
    ['postgresql://u@h/db?password=hunter2', 'postgresql://u@h/db?password=***', true],
    ['postgresql://u:hunter2@h/db', 'postgresql://u:***@h/db', true],
    ['postgres://u@h/db?sslmode=disable&password=hunter2&application_name=x', 'postgres://u@h/db?sslmode=disable&password=***&application_name=x', true],
    ['postgresql://u@h/db', 'postgresql://u@h/db', false],
  ])('%s', (uri, redacted, has) => {
    expect(redactUri(uri)).toBe(redacted);
    expect(uriHasPassword(uri)).toBe(has);
  });

  it('check-roles --against with ?password=: warned about, and absent from the JSON error', async () => {
    const tmp = tempDir('pgauth-redact-');
    try {
      const roles = join(tmp.path, 'userlist.txt');
      writeFileSync(roles, '"alice" "pw"\n', { mode: 0o600 });
      const r = await pgauth(['check-roles', '--roles', roles, '--against', 'postgresql://u@127.0.0.1:1/db?password=hunter2&connect_timeout=2', '--json']);
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).not.toContain('hunter2');
      expect(r.stderr).toContain('a password in a URI is on the command line');
      expect(JSON.parse(r.stdout).ok).toBe(false);
    } finally {
      tmp.remove();
    }
  });
});
