/**
 * The catalogue of `hba lint`'s rule ids: a one-line title and help text
 * each, for SARIF's rules and JUnit's passing testcases (SPEC §8). A Record
 * over LintCode, so a new rule cannot be added without its entry.
 */
import type { LintCode } from './lint.js';

export interface LintRule {
  id: LintCode;
  title: string;
  help: string;
}

const RULES: Record<LintCode, Omit<LintRule, 'id'>> = {
  syntax: {
    title: 'line PostgreSQL refuses',
    help: 'A line PostgreSQL cannot read (the error column of the pg_hba_file_rules view). PostgreSQL refuses to load a file with any such line: a reload keeps the old rules, a restart fails.',
  },
  'cert-not-hostssl': {
    title: 'cert on a line without TLS',
    help: 'cert authentication needs the TLS client certificate, so PostgreSQL refuses cert on host and hostnossl lines. Make the line hostssl.',
  },
  'trust-open': {
    title: 'trust beyond loopback',
    help: 'trust on a TCP line whose address is not loopback lets anyone who can reach the port log in as any role it names, without a password. Use scram-sha-256, or limit the line to 127.0.0.1/32 or ::1/128.',
  },
  'password-open': {
    title: 'password beyond loopback',
    help: 'The password method sends the password in clear text; on a TCP line beyond loopback it crosses the network. Use scram-sha-256.',
  },
  md5: {
    title: 'md5 (deprecated in PostgreSQL 18)',
    help: 'MD5 password hashes are weak and deprecated since PostgreSQL 18. Use scram-sha-256 (password_encryption = scram-sha-256, then reset each password).',
  },
  shadowed: {
    title: 'line no connection can reach',
    help: 'An earlier line matches every connection this line could (first match wins), so this line never applies. Move it above that line or remove it.',
  },
  'world-weak': {
    title: 'every address with a weak method',
    help: '0.0.0.0/0, ::/0 or all with trust, password, md5 or ident opens the server to the whole network with little or no protection. Narrow the address and use scram-sha-256 (or cert on hostssl).',
  },
  'ldap-no-tls': {
    title: 'ldap without TLS',
    help: 'The password goes to the LDAP server in clear text. Add ldaptls=1 (StartTLS), or use ldapscheme=ldaps or an ldaps:// ldapurl.',
  },
  'oauth-issuer-not-https': {
    title: 'oauth issuer not https',
    help: 'libpq 18 talks to OAuth issuers over https only: an issuer URL that is not https:// cannot be used by clients.',
  },
};

/** Every rule, in the order the README lists them. */
export const LINT_RULES: readonly LintRule[] = (Object.keys(RULES) as LintCode[]).map((id) => ({ id, ...RULES[id] }));
