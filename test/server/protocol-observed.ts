/**
 * What real PostgreSQL 18.4 and 17.10 sent to a raw client (trust), written
 * with an independent byte builder: protocol.test.ts holds `pgauth serve` to
 * it, protocol-pg18/pg17.test.ts hold the real servers to it.
 */
import { i16, i32, msg, packet, str } from '../protocol/bytes.js';
import { exchangeBytes, splitMessages } from './wire.js';

/** A StartupMessage of version major.minor, written from the protocol docs' field order. */
export const startup = (major: number, minor: number, extra: Array<[string, string]> = [], user = 'alice', database = 'd') =>
  packet(i32(((major << 16) | minor) >>> 0), ...[['user', user], ['database', database], ...extra].map(([k, v]) => [...str(k!), ...str(v!)]), [0]);

/** NegotiateProtocolVersion: Int32 full version code, Int32 count, the option names. */
export const negotiate = (code: number, ...options: string[]) => msg('v', i32(code), i32(options.length), ...options.map(str));

/** What came before AuthenticationOk (NegotiateProtocolVersion or nothing), and the BackendKeyData key length. */
export async function login(port: number, bytes: Buffer): Promise<{ before: Buffer; keyBytes: number; types: string }> {
  const msgs = splitMessages(await exchangeBytes(port, bytes));
  const r = msgs.findIndex((m) => m.type === 'R');
  const k = msgs.find((m) => m.type === 'K');
  return {
    before: Buffer.concat(msgs.slice(0, r).map((m) => m.bytes)),
    keyBytes: k ? k.bytes.length - 1 - 4 - 4 : -1,
    types: msgs.map((m) => m.type).filter((t) => t !== 'S').join(''),
  };
}

export const GREASE: Array<[string, string]> = [['_pq_.test_protocol_negotiation', '']];

/** Observed on PostgreSQL 18.4 and 17.10 (raw client, trust): before AuthenticationOk, and the cancel key length. */
export const observed = (user: string, database: string) => {
  const startup_ = (major: number, minor: number, extra: Array<[string, string]> = []) => startup(major, minor, extra, user, database);
  return {
    18: [
      // 3.2: no NegotiateProtocolVersion, a 32-byte key (BackendKeyData length 40).
      { what: '3.2', bytes: startup_(3, 2), before: Buffer.alloc(0), keyBytes: 32 },
      { what: '3.0', bytes: startup_(3, 0), before: Buffer.alloc(0), keyBytes: 4 },
      // 3.1 never existed; 18 treats it as 3.0 without a word.
      { what: '3.1', bytes: startup_(3, 1), before: Buffer.alloc(0), keyBytes: 4 },
      // v 00030002 00000001 "_pq_.test_protocol_negotiation\0", then the login as 3.2.
      { what: '3.9999 grease', bytes: startup_(3, 9999, GREASE), before: negotiate(196610, '_pq_.test_protocol_negotiation'), keyBytes: 32 },
      // v 00030000 00000001 "_pq_.x\0": the version the client asked for (3.0), not 18's newest.
      { what: '3.0 + _pq_.x', bytes: startup_(3, 0, [['_pq_.x', 'y']]), before: negotiate(196608, '_pq_.x'), keyBytes: 4 },
      { what: '3.2 + _pq_.x, _pq_.z', bytes: startup_(3, 2, [['_pq_.x', 'y'], ['_pq_.z', '1']]), before: negotiate(196610, '_pq_.x', '_pq_.z'), keyBytes: 32 },
    ],
    17: [
      // v 00030000 00000000: 17 speaks 3.0 only.
      { what: '3.2', bytes: startup_(3, 2), before: negotiate(196608), keyBytes: 4 },
      { what: '3.0', bytes: startup_(3, 0), before: Buffer.alloc(0), keyBytes: 4 },
      { what: '3.1', bytes: startup_(3, 1), before: negotiate(196608), keyBytes: 4 },
      { what: '3.9999 grease', bytes: startup_(3, 9999, GREASE), before: negotiate(196608, '_pq_.test_protocol_negotiation'), keyBytes: 4 },
      { what: '3.0 + _pq_.x', bytes: startup_(3, 0, [['_pq_.x', 'y']]), before: negotiate(196608, '_pq_.x'), keyBytes: 4 },
      { what: '3.2 + _pq_.x, _pq_.z', bytes: startup_(3, 2, [['_pq_.x', 'y'], ['_pq_.z', '1']]), before: negotiate(196608, '_pq_.x', '_pq_.z'), keyBytes: 4 },
    ],
  } as const;
};

/** Observed: a 2.0 request gets the error in protocol 2's format ('E', text, newline, NUL; no length word). */
export const preV3Error = (text: string) => Buffer.concat([Buffer.from(`EFATAL:  ${text}\n`), Buffer.from([0])]);

/** ERROR 57014 as PostgreSQL sends it, without the F/L/R (file, line, routine) fields pgauth has no use for. */
export const CANCELED = msg('E', str('SERROR'), str('VERROR'), str('C57014'), str('Mcanceling statement due to user request'), [0]);
/** Observed on 17 and 18: RowDescription of pg_sleep, one column of type void (2278), length 4. */
export const PG_SLEEP_ROW_DESCRIPTION = msg('T', i16(1), str('pg_sleep'), i32(0), i16(0), i32(2278), i16(4), i32(-1), i16(0));
export const READY = msg('Z', [0x49]);

