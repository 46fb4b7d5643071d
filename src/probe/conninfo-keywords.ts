/**
 * libpq's connection keywords and the error every conninfo source raises:
 * the table the parsers (conninfo-string.ts, conninfo-uri.ts) and the
 * resolver (conninfo.ts) check names against, and the input bound.
 */

/** A bad target, flag value or environment value: exit 3 (usage/input). */
export class ConninfoError extends Error {
  override readonly name = 'ConninfoError';
}

/**
 * Every libpq 18 connection keyword (`fe-connect.c PQconninfoOptions`, read
 * back from libpq 18's PQconndefaults), with the environment variable libpq
 * reads for it ('' = none). Anything else is `invalid connection option`.
 * Keywords that do not change authentication are accepted and ignored; the
 * probe lists them in --trace (libpq-options.ts).
 */
export const CONNINFO_KEYWORDS = {
  service: 'PGSERVICE',
  user: 'PGUSER',
  password: 'PGPASSWORD',
  passfile: 'PGPASSFILE',
  channel_binding: 'PGCHANNELBINDING',
  connect_timeout: 'PGCONNECT_TIMEOUT',
  dbname: 'PGDATABASE',
  host: 'PGHOST',
  hostaddr: 'PGHOSTADDR',
  port: 'PGPORT',
  client_encoding: 'PGCLIENTENCODING',
  options: 'PGOPTIONS',
  application_name: 'PGAPPNAME',
  fallback_application_name: '',
  keepalives: '',
  keepalives_idle: '',
  keepalives_interval: '',
  keepalives_count: '',
  tcp_user_timeout: '',
  sslmode: 'PGSSLMODE',
  sslnegotiation: 'PGSSLNEGOTIATION',
  sslcompression: 'PGSSLCOMPRESSION',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslcertmode: 'PGSSLCERTMODE',
  sslpassword: '',
  sslrootcert: 'PGSSLROOTCERT',
  sslcrl: 'PGSSLCRL',
  sslcrldir: 'PGSSLCRLDIR',
  sslsni: 'PGSSLSNI',
  requirepeer: 'PGREQUIREPEER',
  require_auth: 'PGREQUIREAUTH',
  min_protocol_version: 'PGMINPROTOCOLVERSION',
  max_protocol_version: 'PGMAXPROTOCOLVERSION',
  ssl_min_protocol_version: 'PGSSLMINPROTOCOLVERSION',
  ssl_max_protocol_version: 'PGSSLMAXPROTOCOLVERSION',
  gssencmode: 'PGGSSENCMODE',
  krbsrvname: 'PGKRBSRVNAME',
  gsslib: 'PGGSSLIB',
  gssdelegation: 'PGGSSDELEGATION',
  replication: '',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
  load_balance_hosts: 'PGLOADBALANCEHOSTS',
  scram_client_key: '',
  scram_server_key: '',
  oauth_issuer: '',
  oauth_client_id: '',
  oauth_client_secret: '',
  oauth_scope: '',
  sslkeylogfile: '',
} as const;

export type ConninfoKeyword = keyof typeof CONNINFO_KEYWORDS;
export type ConninfoValues = Partial<Record<ConninfoKeyword, string>>;

export const isKeyword = (k: string): k is ConninfoKeyword => Object.prototype.hasOwnProperty.call(CONNINFO_KEYWORDS, k);

/** Bounds every input: a conninfo string longer than this is refused. */
export const MAX_CONNINFO_LENGTH = 65536;

export function checkLength(s: string, what: string): void {
  if (s.length > MAX_CONNINFO_LENGTH) throw new ConninfoError(`${what} is longer than ${MAX_CONNINFO_LENGTH} characters`);
}
