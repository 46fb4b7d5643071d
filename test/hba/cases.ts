import { createHash } from 'node:crypto';

/**
 * The pg_hba.conf files and the connection matrix shared by the differential
 * test (against PostgreSQL) and the serve parity test (against pgauth serve).
 *
 * Every file uses methods whose first server answer tells them apart (see
 * wire.ts). Host-name lines are only reachable from 127.0.0.1 (whose name
 * comes from /etc/hosts), never from ::1, so no DNS query is ever made.
 */

/** setHba puts this line first; the engine's copy gets it too so line numbers agree. */
export const ADMIN_LINE = 'local all postgres trust\n';

export const USERS = ['alice', 'bob', 'carol', 'dave', 'Eve Q'] as const;
export const DATABASES = ['appdb', 'postgres', 'alice', 'admins'] as const;

/** member-of, as in the role file: bob in admins, carol in staff, staff in admins (carol indirectly). dave does not exist. */
export const GROUPS: Record<string, string[]> = { bob: ['admins'], carol: ['staff'], staff: ['admins'] };

/**
 * The roles have md5 passwords and the server has password_encryption=md5:
 * an md5 line then asks for md5 for every role, existing or not (PostgreSQL
 * picks SCRAM under md5 for a SCRAM secret, and password_encryption's type
 * for an unknown role).
 */
export const ROLE_SQL = `
  SET password_encryption = 'md5';
  CREATE ROLE admins NOLOGIN;
  CREATE ROLE staff NOLOGIN IN ROLE admins;
  CREATE ROLE alice LOGIN PASSWORD 'secret-alice';
  CREATE ROLE bob LOGIN PASSWORD 'secret-bob' IN ROLE admins;
  CREATE ROLE carol LOGIN PASSWORD 'secret-carol' IN ROLE staff;
  CREATE ROLE "Eve Q" LOGIN PASSWORD 'secret-Eve Q';
`;

/** The role file for pgauth serve, mirroring ROLE_SQL (md5 secrets, so an md5 line asks for md5 as PostgreSQL does for a role without a SCRAM secret). */
const md5Secret = (user: string) => 'md5' + createHash('md5').update(`secret-${user}` + user).digest('hex');
export const ROLE_FILE = [
  `"alice" "${md5Secret('alice')}"`,
  `"bob" "${md5Secret('bob')}" member-of=admins`,
  `"carol" "${md5Secret('carol')}" member-of=staff`,
  `"staff" "${md5Secret('staff')}" nologin member-of=admins`,
  `"admins" "${md5Secret('admins')}" nologin`,
  `"Eve Q" "${md5Secret('Eve Q')}"`,
  '',
].join('\n');

export type Conn = { name: string; kind: 'tcp'; address: string; ssl: boolean } | { name: string; kind: 'unix'; ssl: false };

export const CONNECTIONS: Conn[] = [
  { name: '127.0.0.1', kind: 'tcp', address: '127.0.0.1', ssl: false },
  { name: '127.0.0.1+ssl', kind: 'tcp', address: '127.0.0.1', ssl: true },
  { name: '::1', kind: 'tcp', address: '::1', ssl: false },
  { name: '::1+ssl', kind: 'tcp', address: '::1', ssl: true },
  { name: 'unix', kind: 'unix', ssl: false },
];

export interface HbaCase {
  name: string;
  /** pg_hba.conf body (after the admin line). */
  hba: string;
  /** Files next to pg_hba.conf (for @file and include), relative names. */
  files?: Record<string, string>;
  /** PostgreSQL major version that reads this syntax. */
  minVersion?: number;
  /** [connection, user, database, decision] checked on the engine alone (also where the server is too old). */
  expect?: Array<[string, string, string, string]>;
}

export const HBA_CASES: HbaCase[] = [
  {
    name: 'connection types and keywords',
    hba: `# every connection type, keyword and a comment at the end of a line
hostssl      appdb            alice           127.0.0.1/32            scram-sha-256
hostnossl    appdb            alice           127.0.0.1/32            md5
hostgssenc   all              all             0.0.0.0/0               trust
host         sameuser         all             ::1/128                 password
hostssl      samerole         +admins         ::1/128                 trust
host         all              +admins         127.0.0.1/32            md5   # bob and carol (through staff)
local        appdb,postgres   bob,"Eve Q"                             password
local        all              dave                                    reject
local        sameuser         alice                                   peer
hostnogssenc postgres         all             ::0/0                   scram-sha-256
host         replication      all             0.0.0.0/0               trust
host         all              all             127.0.0.1/32  \\
             reject   # a continued line
`,
  },
  {
    name: 'addresses',
    hba: `host       appdb      all     127.0.0.1  255.255.255.255                           md5
host       admins     "Eve Q" 0x7f.1/32                                            password
host       alice      "Eve Q" 0177.0.0.1 255.0.0.0                                 scram-sha-256
host       admins     all     ::1        ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff   password
hostssl    all        all     ::1/128                                              scram-sha-256
host       all        bob     ::0/0                                                trust
host       all        all     ::1/128                                              md5
host       all        alice   vm                                                   reject
host       all        alice   localhost                                            trust
host       all        carol   .localdomain                                         reject
host       postgres   all     samehost                                             password
host       all        bob     samenet                                              scram-sha-256
hostssl    all        all     all                                                  md5
host       all        all     10.0.0.0/8                                           trust
host       all        "Eve Q" 127.0.0.2/31                                         trust
`,
  },
  {
    name: 'quoting, lists and @files',
    files: {
      'dbs.txt': 'appdb   # a comment in an @file\n"postgres"\n',
      'users.txt': 'alice,"Eve Q"\n@more.txt\n',
      'more.txt': 'dave\n',
    },
    hba: `host    "all"               alice          127.0.0.1/32    reject
host    @dbs.txt            @users.txt     127.0.0.1/32    scram-sha-256
host    appdb               "+admins"      ::1/128         trust
host    "sameuser","alice"  all            ::1/128         md5
host    "appdb"             "Eve Q",carol  ::1/128         password
host    all                 +staff         all             md5
local   samegroup           all                            trust
host    all                 "all"          all             reject
host    all                 all            ::1/128         scram-sha-256
local   "replication",admins  alice,bob,dave               password
`,
  },
  {
    name: 'PostgreSQL 16 syntax: include, include_if_exists, include_dir, /regex, continuation',
    minVersion: 16,
    files: {
      'inc/first.conf': 'hostssl /^a alice,\\\n   bob 127.0.0.1/32 scram-sha-256\n',
      'conf.d/20-second.conf': 'host /^(app|post) "Eve Q" 127.0.0.1/32 md5\n',
      'conf.d/10-first.conf': 'host all carol 127.0.0.1/32 password\n',
      'conf.d/ignored.txt': 'host all all all trust\n',
    },
    hba: `include inc/first.conf
include_if_exists does-not-exist.conf
include_dir conf.d
local   all   /^(alice|bob)$   \\
        md5
host    all   /e            ::1/128   password
host    all   all           all       reject
`,
    expect: [
      ['127.0.0.1+ssl', 'alice', 'appdb', 'scram-sha-256'],
      ['127.0.0.1+ssl', 'bob', 'admins', 'scram-sha-256'],
      ['127.0.0.1+ssl', 'bob', 'postgres', 'reject'],
      ['127.0.0.1', 'carol', 'alice', 'password'],
      ['127.0.0.1', 'Eve Q', 'appdb', 'md5'],
      ['127.0.0.1', 'Eve Q', 'postgres', 'md5'],
      ['127.0.0.1', 'Eve Q', 'admins', 'reject'],
      ['unix', 'alice', 'appdb', 'md5'],
      ['unix', 'bob', 'appdb', 'md5'],
      ['unix', 'carol', 'appdb', 'no-entry'],
      ['::1', 'alice', 'appdb', 'password'],
      ['::1', 'Eve Q', 'appdb', 'password'],
      ['::1', 'bob', 'appdb', 'reject'],
    ],
  },
];

/**
 * Broken lines, each with the error PostgreSQL gives (its pg_hba_file_rules
 * text, up to 17; `error18` where PostgreSQL 18 words it otherwise).
 * `versionDependent` marks texts that changed between releases;
 * `viewSilent` a line PostgreSQL refuses with a message in its log only (its
 * view shows the row unparsed with a null error: parse_hba_auth_opt returns
 * without setting err_msg for a bad clientname/clientcert value).
 */
export const BROKEN_LINES: Array<{ line: string; error: string | null; error18?: string; versionDependent?: boolean; viewSilent?: boolean }> = [
  { line: 'host all all 127.0.0.1/32 trust', error: null },
  { line: 'hosts all all 127.0.0.1/32 trust', error: 'invalid connection type "hosts"' },
  { line: 'host all', error: 'end-of-line before role specification' },
  { line: 'host all all', error: 'end-of-line before IP address specification' },
  { line: 'host all all 127.0.0.1/33 trust', error: 'invalid CIDR mask in address "127.0.0.1/33"' },
  { line: 'host all all localhost/32 trust', error: 'specifying both host name and CIDR mask is invalid: "localhost/32"' },
  { line: 'host all all 127.0.0.1 255.255.255.255', error: 'end-of-line before authentication method' },
  { line: 'host all all 127.0.0.1', error: 'end-of-line before netmask specification' },
  { line: 'host all all 127.0.0.1/32 magic', error: 'invalid authentication method "magic"' },
  { line: 'host all all ::1 255.0.0.0 trust', error: 'IP address and mask do not match' },
  { line: 'host all all 127.0.0.1/32 trust foo', error: 'authentication option not in name=value format: foo' },
  // PostgreSQL 18 added oauth to the methods with a map (checked against 18 by differential-18.test.ts).
  { line: 'host all all 127.0.0.1/32 trust map=x', error: 'authentication option "map" is only valid for authentication methods ident, peer, gssapi, sspi, and cert', error18: 'authentication option "map" is only valid for authentication methods ident, peer, gssapi, sspi, cert, and oauth' },
  { line: 'host all all 127.0.0.1/32 cert', error: 'cert authentication is only supported on hostssl connections' },
  { line: 'local all all ident map=x', error: null },
  { line: 'host all all 127.0.0.1/32 peer', error: 'peer authentication is only supported on local sockets' },
  { line: 'local all all gss', error: 'gssapi authentication is not supported on local sockets' },
  { line: 'hostssl all all 127.0.0.1/32 md5 clientcert=verify-ca', error: null },
  { line: 'host all all 127.0.0.1/32 md5 clientcert=verify-full', error: 'clientcert can only be configured for "hostssl" rows' },
  { line: 'hostssl all all 127.0.0.1/32 cert clientcert=verify-ca', error: 'clientcert can only be set to "verify-full" when using "cert" authentication' },
  { line: 'host all all 127.0.0.1/32 sspi', error: 'invalid authentication method "sspi": not supported by this build' },
  { line: 'host all all 127.0.0.1/32 pam pamservice=pgauth', error: null },
  { line: 'host all all 127.0.0.1/32 trust pamservice=x', error: 'authentication option "pamservice" is only valid for authentication methods pam' },
  { line: 'host all all 127.0.0.1/32 ldap', error: 'authentication method "ldap" requires argument "ldapbasedn", "ldapprefix", or "ldapsuffix" to be set' },
  // PostgreSQL 18 says "cannot mix options for simple bind and search+bind modes".
  { line: 'host all all 127.0.0.1/32 ldap ldapprefix=a ldapbasedn=b', error: 'cannot use ldapbasedn, ldapbinddn, ldapbindpasswd, ldapsearchattribute, ldapsearchfilter, or ldapurl together with ldapprefix', error18: 'cannot mix options for simple bind and search+bind modes', versionDependent: true },
  { line: 'host all all 127.0.0.1/32 ldap ldapprefix=a ldapurl="ldap://h/dc=x"', error: 'cannot use ldapbasedn, ldapbinddn, ldapbindpasswd, ldapsearchattribute, ldapsearchfilter, or ldapurl together with ldapprefix', error18: 'cannot mix options for simple bind and search+bind modes', versionDependent: true },
  { line: 'host all all 127.0.0.1/32 ldap ldapurl="ldap://h/dc=x?cn?one?(uid=1)"', error: 'cannot use ldapsearchattribute together with ldapsearchfilter' },
  { line: 'host all all 127.0.0.1/32 ldap ldapurl="ldap://h/dc=x?uid?nowhere"', error: 'could not parse LDAP URL "ldap://h/dc=x?uid?nowhere": Strong(er) authentication required' },
  { line: 'host all all 127.0.0.1/32 ldap ldapurl="https://h/dc=x"', error: 'could not parse LDAP URL "https://h/dc=x": Time limit exceeded' },
  { line: 'host all all 127.0.0.1/32 ldap ldapurl="ldapi://h/dc=x"', error: 'unsupported LDAP URL scheme: ldapi' },
  { line: 'host all all 127.0.0.1/32 radius radiusservers="" radiussecrets=x', error: 'authentication method "radius" requires argument "radiusservers" to be set' },
  { line: 'host all all 127.0.0.1/32 radius radiusservers=127.0.0.1', error: 'authentication method "radius" requires argument "radiussecrets" to be set' },
  { line: 'host all all 127.0.0.1/32 trust nosuch=1', error: 'unrecognized authentication option name: "nosuch"' },
  { line: 'host,local all all 127.0.0.1/32 trust', error: 'multiple values specified for connection type' },
  { line: 'host all all 127.0.0.1/32,::1/128 trust', error: 'multiple values specified for host address' },
  { line: 'host all all 127.0.0.1/32 trust,md5', error: 'multiple values specified for authentication type' },
  { line: 'hostssl all all 127.0.0.1/32 md5 clientname=XN', error: 'invalid value for clientname: "XN"', viewSilent: true },
  { line: 'host all @missing-file.txt 127.0.0.1/32 trust', error: 'could not open file', versionDependent: true },
  { line: 'host all all 127.0.0.1/32 scram-sha-256', error: null },
];

/**
 * Lines with options, for the options column of pg_hba_file_rules: PostgreSQL
 * shows what the options set (defaults, the last of a repeated option, what an
 * ldapurl carries), in its own order, not the text as written.
 */
export const OPTIONS_LINES = [
  'hostssl all +certs     all           cert clientname=DN map=certmap',
  'hostssl all all        all           md5 clientcert=verify-ca clientcert=verify-full',
  'hostssl all dave       127.0.0.4/32  scram-sha-256 clientcert=verify-ca',
  'host    all all        10.0.0.1/32   gss',
  'host    all all        10.0.0.2/32   gss include_realm=1 map=m krb_realm=R include_realm=0',
  'local   all all                      peer map=a map=b',
  'host    all all        10.0.0.3/32   pam pam_use_hostname=1 pamservice=x',
  'host    all all        10.0.0.4/32   ldap ldapserver=ldap.example.test ldapprefix="cn=" ldapsuffix=",dc=example,dc=test"',
  'host    all all        10.0.0.5/32   ldap ldapbasedn=dc=x ldapport=389 ldaptls=1 ldapscheme=ldaps ldapsearchattribute=uid ldapbinddn=cn=b ldapbindpasswd=pw',
  'host    all all        10.0.0.6/32   ldap ldapurl="ldap://h/dc=x"',
  'host    all all        10.0.0.7/32   ldap ldapurl="LDAPS://h%41:1234/dc=a%20b?,uid?SUB"',
  'host    all all        10.0.0.8/32   ldap ldapurl="ldap://h/dc=x?uid?one" ldapserver=other',
  'host    all all        10.0.0.9/32   ldap ldapurl="ldap:///dc=x???(uid=1)"',
  'host    all all        10.0.0.10/32  ldap ldapbasedn=x ldapurl="ldap://h/"',
  'host    all all        10.0.0.11/32  radius radiusservers="127.0.0.1, 127.0.0.2" radiussecrets=a radiusports=1812 radiusidentifiers=x',
];
