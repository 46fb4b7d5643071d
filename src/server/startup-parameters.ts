/**
 * The name/value pairs of a StartupMessage as ProcessStartupPacket reads
 * them (backend_startup.c): `user`; `database`, the user's name when absent
 * or empty; `replication`; `_pq_.*` protocol options, none of which exists
 * yet, so all are unrecognized; everything else is a setting applied after
 * login. Names are cut to NAMEDATALEN - 1 = 63 bytes, as PostgreSQL does.
 */
import { truncateStartupName } from '../roles/name.js';
import { fatal } from './errors.js';

export interface StartupParameters {
  /** Empty when the client sent none (the caller refuses that, after NegotiateProtocolVersion). */
  user: string;
  database: string;
  replication: boolean;
  unrecognizedOptions: string[];
  settings: Array<[string, string]>;
}

/** `replication=...`: FATAL 22023 for a value PostgreSQL does not take. */
function replicationValue(value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'database') return false; // logical replication matches like a normal connection
  if (['true', 'on', 'yes', '1'].includes(v)) return true;
  if (['false', 'off', 'no', '0'].includes(v)) return false;
  throw fatal('22023', `invalid value for parameter "replication": "${value}"`);
}

export function readStartupParameters(pairs: ReadonlyArray<[string, string]>): StartupParameters {
  let user = '';
  let database = '';
  let replication = false;
  const unrecognizedOptions: string[] = [];
  const settings: Array<[string, string]> = [];
  for (const [name, value] of pairs) {
    if (name === 'user') user = value;
    else if (name === 'database') database = value;
    else if (name === 'replication') replication = replicationValue(value);
    else if (name.startsWith('_pq_.')) unrecognizedOptions.push(name);
    else settings.push([name, value]);
  }
  return { user: truncateStartupName(user), database: truncateStartupName(database === '' ? user : database), replication, unrecognizedOptions, settings };
}
