/**
 * Wire constants of the PostgreSQL v3 protocol, as `as const` tables.
 * https://www.postgresql.org/docs/current/protocol-message-formats.html
 */

/** Packs a protocol version as PostgreSQL's PG_PROTOCOL(major, minor). */
export const protocolCode = (major: number, minor: number): number => ((major << 16) | minor) >>> 0;

/** First Int32 of a startup-type packet (no message type byte). */
export const STARTUP_CODES = {
  /** 3.0 = 196608 */
  PROTOCOL_3_0: protocolCode(3, 0),
  /** 3.2 (PostgreSQL 18: variable-length cancel key) */
  PROTOCOL_3_2: protocolCode(3, 2),
  /** PG_PROTOCOL(1234,5678) = 80877102 */
  CANCEL_REQUEST: protocolCode(1234, 5678),
  /** PG_PROTOCOL(1234,5679) = 80877103 */
  SSL_REQUEST: protocolCode(1234, 5679),
  /** PG_PROTOCOL(1234,5680) = 80877104 */
  GSSENC_REQUEST: protocolCode(1234, 5680),
} as const;

/** ALPN protocol name of PostgreSQL 17's direct TLS (PG_ALPN_PROTOCOL). */
export const ALPN_POSTGRESQL = 'postgresql';

/** Type bytes of messages a frontend (client) sends. */
export const FRONTEND_CODES = {
  Bind: 0x42, // 'B'
  Close: 0x43, // 'C'
  CopyData: 0x64, // 'd'
  CopyDone: 0x63, // 'c'
  CopyFail: 0x66, // 'f'
  Describe: 0x44, // 'D'
  Execute: 0x45, // 'E'
  Flush: 0x48, // 'H'
  FunctionCall: 0x46, // 'F'
  Parse: 0x50, // 'P'
  /** PasswordMessage, SASLInitialResponse, SASLResponse, GSSResponse all share 'p'. */
  AuthResponse: 0x70, // 'p'
  Query: 0x51, // 'Q'
  Sync: 0x53, // 'S'
  Terminate: 0x58, // 'X'
} as const;

/** Type bytes of messages a backend (server) sends. */
export const BACKEND_CODES = {
  Authentication: 0x52, // 'R'
  BackendKeyData: 0x4b, // 'K'
  BindComplete: 0x32, // '2'
  CloseComplete: 0x33, // '3'
  CommandComplete: 0x43, // 'C'
  DataRow: 0x44, // 'D'
  EmptyQueryResponse: 0x49, // 'I'
  ErrorResponse: 0x45, // 'E'
  NegotiateProtocolVersion: 0x76, // 'v'
  NoData: 0x6e, // 'n'
  NoticeResponse: 0x4e, // 'N'
  ParameterDescription: 0x74, // 't'
  ParameterStatus: 0x53, // 'S'
  ParseComplete: 0x31, // '1'
  PortalSuspended: 0x73, // 's'
  ReadyForQuery: 0x5a, // 'Z'
  RowDescription: 0x54, // 'T'
} as const;

/** The Int32 after 'R': which Authentication* message this is. */
export const AUTH_CODES = {
  Ok: 0,
  KerberosV5: 2,
  CleartextPassword: 3,
  MD5Password: 5,
  GSS: 7,
  GSSContinue: 8,
  SSPI: 9,
  SASL: 10,
  SASLContinue: 11,
  SASLFinal: 12,
} as const;

/** ErrorResponse / NoticeResponse field type bytes and their names. */
export const ERROR_FIELD_CODES = {
  S: 'severity',
  V: 'severityNonLocalized',
  C: 'code',
  M: 'message',
  D: 'detail',
  H: 'hint',
  P: 'position',
  p: 'internalPosition',
  q: 'internalQuery',
  W: 'where',
  s: 'schema',
  t: 'table',
  c: 'column',
  d: 'dataType',
  n: 'constraint',
  F: 'file',
  L: 'line',
  R: 'routine',
} as const;

export type ErrorFieldName = (typeof ERROR_FIELD_CODES)[keyof typeof ERROR_FIELD_CODES];
export type ErrorFields = { [K in ErrorFieldName]?: string };

/** Field name -> its type byte (the reverse of ERROR_FIELD_CODES). */
export const ERROR_FIELD_BY_NAME: Readonly<Record<ErrorFieldName, string>> = Object.fromEntries(
  Object.entries(ERROR_FIELD_CODES).map(([code, name]) => [name, code]),
) as Record<ErrorFieldName, string>;

/** ReadyForQuery transaction status bytes. */
export const TRANSACTION_STATUS = {
  idle: 'I',
  inTransaction: 'T',
  failed: 'E',
} as const;
export type TransactionStatus = (typeof TRANSACTION_STATUS)[keyof typeof TRANSACTION_STATUS];

/** SQLSTATEs the project uses (errcodes-appendix.html). */
export const SQLSTATE = {
  successfulCompletion: '00000',
  protocolViolation: '08P01',
  featureNotSupported: '0A000',
  invalidAuthorizationSpecification: '28000',
  invalidPassword: '28P01',
  tooManyConnections: '53300',
  adminShutdown: '57P01',
  cannotConnectNow: '57P03',
  invalidParameterValue: '22023',
  undefinedObject: '42704',
  syntaxError: '42601',
  invalidSqlStatementName: '26000',
  invalidCursorName: '34000',
  configFileError: 'F0000',
  queryCanceled: '57014',
} as const;

/** Type OIDs used in RowDescription (pg_type.dat). */
export const TYPE_OID = {
  bool: 16,
  bytea: 17,
  name: 19,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  oid: 26,
  float8: 701,
  varchar: 1043,
  /** pg_sleep's result type; its text output is the empty string. */
  void: 2278,
} as const;
