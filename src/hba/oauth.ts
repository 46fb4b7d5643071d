/**
 * PostgreSQL 18's `oauth` lines in pg_hba.conf: their options, the checks
 * PostgreSQL makes when it reads the file, and how pg_hba_file_rules shows
 * them. Only parsing and lint: the OAUTHBEARER exchange lives elsewhere.
 *
 * Checked against PostgreSQL 18.4 (test/hba/differential-18.test.ts):
 * - `issuer`, `scope`, `validator`, `delegate_ident_mapping` are valid only
 *   for `oauth` ("authentication option "issuer" is only valid for
 *   authentication methods oauth"); `map` is valid for it too.
 * - `scope` is checked before `issuer` ("authentication method "oauth"
 *   requires argument "scope" to be set"); an empty value counts as set.
 * - `delegate_ident_mapping=1` (only "1"; "true" reads as false) together
 *   with `map` is refused.
 * - the validator is checked against oauth_validator_libraries (see
 *   checkOauthLine). `validator.*` options are not known to 18.4.
 */

/** The HbaLine fields an oauth line sets. */
export interface OauthSettings {
  oauthIssuer?: string;
  oauthScope?: string;
  oauthValidator?: string;
  oauthSkipUsermap?: boolean;
}

export const OAUTH_OPTIONS = ['issuer', 'scope', 'validator', 'delegate_ident_mapping'] as const;

export function isOauthOption(name: string): boolean {
  return (OAUTH_OPTIONS as readonly string[]).includes(name);
}

/** parse_hba_auth_opt's assignments for the oauth options (already checked to be on an oauth line). */
export function applyOauthOption(h: OauthSettings, name: string, value: string): void {
  if (name === 'issuer') h.oauthIssuer = value;
  else if (name === 'scope') h.oauthScope = value;
  else if (name === 'validator') h.oauthValidator = value;
  else if (name === 'delegate_ident_mapping') h.oauthSkipUsermap = value === '1';
}

/**
 * The checks after all options are read, in PostgreSQL 18.4's order. The
 * validator check needs the server's oauth_validator_libraries as written in
 * postgresql.conf (`libraries`); without it the line is taken as written.
 * As 18.4 does it: an unset validator becomes the whole setting (shown so in
 * the options column, `validator=v1, v2` for two libraries, no error), and a
 * `validator=` must equal one comma-separated item of the setting, not
 * trimmed (with 'v1, v2' the name "v2" is refused).
 */
export function checkOauthLine(h: OauthSettings & { usermap?: string }, libraries?: string): string | undefined {
  if (h.oauthScope === undefined) return 'authentication method "oauth" requires argument "scope" to be set';
  if (h.oauthIssuer === undefined) return 'authentication method "oauth" requires argument "issuer" to be set';
  if (libraries !== undefined) {
    if (h.oauthValidator === undefined) h.oauthValidator = libraries;
    else if (!libraries.split(',').includes(h.oauthValidator)) return `validator "${h.oauthValidator}" is not permitted by oauth_validator_libraries`;
  }
  if (h.oauthSkipUsermap && h.usermap !== undefined) return 'map cannot be used in combination with delegate_ident_mapping';
  return undefined;
}

/** The oauth part of the options column (hbafuncs.c get_hba_options), after map and clientcert. */
export function oauthOptionsColumn(h: OauthSettings): string[] {
  const out: string[] = [];
  if (h.oauthIssuer !== undefined) out.push(`issuer=${h.oauthIssuer}`);
  if (h.oauthScope !== undefined) out.push(`scope=${h.oauthScope}`);
  if (h.oauthValidator !== undefined) out.push(`validator=${h.oauthValidator}`);
  if (h.oauthSkipUsermap) out.push('delegate_ident_mapping=true');
  return out;
}

/**
 * What PostgreSQL loads but a libpq client cannot use: an issuer that is not
 * https (libpq 18 fetches the discovery document only over https, unless
 * PGOAUTHDEBUG=UNSAFE). A lint warning, not an error.
 */
export function oauthLineWarnings(options: ReadonlyArray<readonly [string, string]>): string[] {
  const issuer = options.find(([k]) => k === 'issuer')?.[1];
  if (issuer === undefined || /^https:\/\//i.test(issuer)) return [];
  return [`oauth issuer "${issuer}" is not an https URL: the OAuth flow of libpq 18 (libpq-oauth) talks to issuers over https only, unless PGOAUTHDEBUG=UNSAFE`];
}
