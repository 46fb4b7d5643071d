/**
 * A pg_hba.conf with every syntax the engine reads (SPEC §5), and how each
 * line reads back (pg_hba_file_rules columns), for the engine and lint tests.
 */
export const EVERY_SYNTAX = {
  files: {
    'pg_hba.conf': `# TYPE  DATABASE        USER            ADDRESS                 METHOD
local   all             postgres                                peer
local   sameuser        all                                     peer map=local
local   samerole,samegroup +admins,"Eve Q"                      scram-sha-256
host    replication     repl            127.0.0.1/32            scram-sha-256
host    "all","sameuser" "all"          ::1/128                 md5
host    @databases.txt  @"role list.txt" 10.0.0.0/8             scram-sha-256
host    /^app_\\d+$      /^svc-          192.168.0.0 255.255.0.0 md5
hostssl all             all             2001:db8::/32           scram-sha-256 clientcert=verify-full
hostssl all             +certs          all                     cert clientname=DN map=certmap
hostnossl all           all             samehost                password
hostgssenc all          all             samenet                 gss include_realm=0 krb_realm=EXAMPLE.TEST
hostnogssenc all        all             localhost               pam pamservice=postgresql
host    all             all             .example.test           ldap ldapserver=ldap.example.test ldapprefix="cn=" ldapsuffix=",dc=example,dc=test"
host    all             all             ::/0                    radius radiusservers=127.0.0.1 radiussecrets=s3cret
host    all             \\
        all             \\
        0.0.0.0/0       reject   # continued over three lines
include           extra.conf
include_if_exists not-there.conf
include_dir       conf.d
`,
    'databases.txt': 'appdb, "db with space"\n# comment\nreports\n',
    'role list.txt': 'alice\n"Eve Q", +auditors\n',
    'extra.conf': 'host all bob 127.0.0.2/32 trust\n',
    'conf.d/01-first.conf': 'host all carol 127.0.0.3/32 ident map=id\n',
    'conf.d/02-second.conf': 'hostssl all dave 127.0.0.4/32 scram-sha-256 clientcert=verify-ca\n',
    'conf.d/README': 'not a .conf file: ignored\n',
  } as Record<string, string>,
  /** file:line type database user address netmask method options (in pg_hba_file_rules' order and form, not as written) */
  rows: [
    'pg_hba.conf:2 local all postgres - - peer -',
    'pg_hba.conf:3 local sameuser all - - peer map=local',
    'pg_hba.conf:4 local samerole,samegroup +admins,Eve Q - - scram-sha-256 -',
    'pg_hba.conf:5 host replication repl 127.0.0.1 255.255.255.255 scram-sha-256 -',
    'pg_hba.conf:6 host all,sameuser all ::1 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff md5 -',
    'pg_hba.conf:7 host appdb,db with space,reports alice,Eve Q,+auditors 10.0.0.0 255.0.0.0 scram-sha-256 -',
    'pg_hba.conf:8 host /^app_\\d+$ /^svc- 192.168.0.0 255.255.0.0 md5 -',
    'pg_hba.conf:9 hostssl all all 2001:db8:: ffff:ffff:: scram-sha-256 clientcert=verify-full',
    'pg_hba.conf:10 hostssl all +certs all - cert map=certmap,clientcert=verify-full',
    'pg_hba.conf:11 hostnossl all all samehost - password -',
    'pg_hba.conf:12 hostgssenc all all samenet - gss krb_realm=EXAMPLE.TEST',
    'pg_hba.conf:13 hostnogssenc all all localhost - pam pamservice=postgresql',
    'pg_hba.conf:14 host all all .example.test - ldap ldapserver=ldap.example.test,ldapprefix=cn=,ldapsuffix=,dc=example,dc=test,ldapscope=2',
    'pg_hba.conf:15 host all all :: :: radius radiusservers=127.0.0.1,radiussecrets=s3cret',
    'pg_hba.conf:16 host all all 0.0.0.0 0.0.0.0 reject -',
    'extra.conf:1 host all bob 127.0.0.2 255.255.255.255 trust -',
    'conf.d/01-first.conf:1 host all carol 127.0.0.3 255.255.255.255 ident map=id',
    'conf.d/02-second.conf:1 hostssl all dave 127.0.0.4 255.255.255.255 scram-sha-256 clientcert=verify-ca',
  ] as string[],
};
