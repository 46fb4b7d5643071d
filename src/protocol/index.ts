/**
 * The PostgreSQL v3 protocol codec, both directions: the server decodes what
 * clients send and encodes replies; the probe does the reverse.
 */
export { ProtocolError } from './errors.js';
export {
  ALPN_POSTGRESQL,
  AUTH_CODES,
  BACKEND_CODES,
  ERROR_FIELD_BY_NAME,
  ERROR_FIELD_CODES,
  FRONTEND_CODES,
  SQLSTATE,
  STARTUP_CODES,
  TRANSACTION_STATUS,
  TYPE_OID,
  protocolCode,
  type ErrorFieldName,
  type ErrorFields,
  type TransactionStatus,
} from './codes.js';
export { MAX_STARTUP_PACKET_LENGTH, PG_MAX_AUTH_TOKEN_LENGTH, PG_MAX_NAME_BYTES } from './limits.js';
export { Reader, Writer } from './buffer.js';
export { Framer, DEFAULT_MAX_MESSAGE_LENGTH, type Frame, type FramerOptions } from './framer.js';
export {
  parseFrontend,
  parseStartupPacket,
  serializeFrontend,
  writeFrontend,
  type AuthResponseKind,
  type FrontendMessage,
  type RegularFrontendMessage,
  type StartupPacket,
} from './frontend.js';
export { parseBackend, serializeBackend, serializePreV3ErrorResponse, writeBackend, type BackendMessage, type BackendMessageType, type FieldDescription } from './backend.js';
