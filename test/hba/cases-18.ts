/**
 * pg_hba.conf files for what PostgreSQL 16+ added (regular expressions,
 * include, include_if_exists, include_dir) and PostgreSQL 18's oauth lines,
 * compared with a real PostgreSQL 18 by differential-18.test.ts.
 */
import type { HbaCase } from './cases.js';

/** Regular expressions for users and databases: logins compared over the whole matrix. */
export const REGEX_CASE: HbaCase = {
  name: 'regular expressions for users and databases',
  minVersion: 16,
  hba: `host    /^a.*$            all                 127.0.0.1/32   md5
host    all               "/^(bob|carol)$"    ::1/128        password
host    postgres,/^ad     /e$                 127.0.0.1/32   scram-sha-256
hostssl "/^post"          /^[A-Z]             all            trust
local   all               /Q$                                reject
local   /                 /^c                                md5
host    all               /^nobody$           all            trust
host    all               all                 all            reject
`,
};

/**
 * Files with include directives, compared row by row with
 * pg_hba_file_rules (file_name, line_number, rule_number, errors).
 * Names are relative to the folder of pg_hba.conf.
 */
export const INCLUDE_VIEW_CASES: Array<{ name: string; hba: string; files?: Record<string, string> }> = [
  {
    name: 'a missing include is an error row, a missing include_if_exists is nothing, a missing include_dir is an error row',
    hba: 'include missing.conf\ninclude_if_exists missing-too.conf\ninclude_dir no-such-dir\nhost all all all trust\n',
  },
  {
    name: 'nested includes are relative to the including file; include_dir takes *.conf in byte order, not hidden files',
    files: {
      'sub/a.conf': 'host all alice 127.0.0.1/32 trust\ninclude b.conf\n',
      'sub/b.conf': '# b\nhost all bob 127.0.0.1/32 md5\n',
      'more.d/20-z.conf': 'host all carol ::1/128 password\n',
      'more.d/10-a.conf': 'host all "Eve Q" ::1/128 md5\n',
      'more.d/B.conf': 'local all bob trust\n',
      'more.d/.hidden.conf': 'host all all all trust\n',
      'more.d/notes.txt': 'host all all all trust\n',
      'more.d/x.conf': 'local all carol md5\n',
    },
    hba: 'include sub/a.conf\ninclude_dir more.d\nhost all all all reject\n',
  },
  {
    name: 'errors inside included files name that file and its line',
    files: {
      'bad.conf': 'host all all 127.0.0.1/33 trust\nhost all carol 127.0.0.1/32 password\nhost all all 127.0.0.1/32 magic\n',
      'bad.d/1.conf': 'hosts all all all trust\n',
      'bad.d/2.conf': 'host all all all trust\n',
    },
    hba: 'include bad.conf\ninclude_dir bad.d\n',
  },
  {
    name: 'an @file in an included file is relative to that file; include_if_exists of a file that exists',
    files: {
      'sub/c.conf': 'host all @users.txt 127.0.0.1/32 md5\n',
      'sub/users.txt': 'alice "Eve Q"\n',
      'opt.conf': 'local all alice trust\n',
    },
    hba: 'include sub/c.conf\ninclude_if_exists opt.conf\n',
  },
  {
    name: 'include directives with a wrong number of arguments, and include as a quoted word',
    hba: 'include\ninclude a.conf b.conf\n"include" missing.conf\nhost all all all trust\n',
  },
];

/** Broken regular expressions: PostgreSQL's regerror texts. */
export const REGEX_ERROR_LINES = [
  'host /(a all 127.0.0.1/32 trust',
  'host all /a) 127.0.0.1/32 trust',
  'host all "/[a" 127.0.0.1/32 trust',
  'host all /*a 127.0.0.1/32 trust',
  'host all /[z-a] 127.0.0.1/32 trust',
  'host all "/a{3,1}" 127.0.0.1/32 trust',
  'host all "/a{3" 127.0.0.1/32 trust',
  'host all "/a{2}b{1,3}" 127.0.0.1/32 trust',
];

/** oauth lines, read with oauth_validator_libraries = 'myval' (as the cluster is set up). */
export const OAUTH_VALIDATOR_LIBRARIES = 'myval';
export const OAUTH_LINES = [
  'host all all 127.0.0.1/32 oauth',
  'host all all 127.0.0.1/32 oauth issuer=https://issuer.example',
  'host all all 127.0.0.1/32 oauth scope=openid',
  'host all all 127.0.0.1/32 oauth issuer=https://issuer.example scope="openid email" validator=myval map=m',
  'host all all 127.0.0.1/32 oauth issuer=https://i scope=s delegate_ident_mapping=1',
  'host all all 127.0.0.1/32 oauth issuer=https://i scope=s delegate_ident_mapping=0',
  'host all all 127.0.0.1/32 oauth issuer=https://i scope=s delegate_ident_mapping=true',
  'host all all 127.0.0.1/32 oauth issuer=https://i scope=s delegate_ident_mapping=1 map=m',
  'host all all 127.0.0.1/32 oauth issuer=https://i scope=s map=m delegate_ident_mapping=0',
  'host all all 127.0.0.1/32 oauth issuer=https://i scope=s validator=other',
  'host all all 127.0.0.1/32 oauth issuer=https://i scope=s validator=myval validator=v2',
  'host all all 127.0.0.1/32 oauth issuer=https://i scope=s validator.foo=1',
  'host all all 127.0.0.1/32 oauth issuer=https://i nosuch=1',
  'host all all 127.0.0.1/32 oauth issuer= scope=',
  'local all all oauth issuer=https://i scope=s',
  'hostssl all all 127.0.0.1/32 oauth issuer=https://i scope=s clientcert=verify-ca',
  'host all all 127.0.0.1/32 trust issuer=x',
  'host all all 127.0.0.1/32 trust scope=x',
  'host all all 127.0.0.1/32 trust validator=x',
  'host all all 127.0.0.1/32 trust delegate_ident_mapping=1',
  'host all all 127.0.0.1/32 trust map=x',
];
