/** One-line summaries of protocol messages for --trace: client secrets redacted, pure. */
import type { BackendMessage, FrontendMessage } from '../protocol/index.js';

/** Redacted one-line summary of a frontend message for --trace. */
export function describeFrontend(msg: FrontendMessage, kind?: 'password' | 'md5' | 'sasl-final' | 'oauth'): string {
  switch (msg.type) {
    case 'StartupMessage':
      return `protocol ${msg.major}.${msg.minor} ${msg.parameters.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')}`;
    case 'PasswordMessage':
      return kind === 'md5' ? 'md5 response [redacted]' : 'password [redacted]';
    case 'SASLInitialResponse':
      if (msg.mechanism === 'OAUTHBEARER' || kind === 'oauth') {
        // The bearer token is a secret: only whether one was sent.
        return `${msg.mechanism} ${msg.data && /auth=[^\x01]/.test(msg.data.toString('latin1')) ? 'auth=Bearer [redacted]' : 'auth= (discovery)'}`;
      }
      return `${msg.mechanism} ${msg.data ? msg.data.toString('utf8') : '(none)'}`;
    case 'SASLResponse': {
      const text = msg.data.toString('utf8');
      return text.replace(/,p=[^,]*/, ',p=[redacted]');
    }
    case 'Query':
      return msg.sql;
    default:
      return '';
  }
}

/** One-line summary of a backend message for --trace (nothing in there is a client secret). */
export function describeBackend(msg: BackendMessage): string {
  switch (msg.type) {
    case 'AuthenticationMD5Password':
      return `salt ${msg.salt.toString('hex')}`;
    case 'AuthenticationSASL':
      return msg.mechanisms.join(', ');
    case 'AuthenticationSASLContinue':
    case 'AuthenticationSASLFinal':
      return msg.data.toString('utf8');
    case 'ParameterStatus':
      return `${msg.name}=${msg.value}`;
    case 'BackendKeyData':
      return `pid ${msg.processId}, key ${msg.secretKey.length} bytes`;
    case 'ReadyForQuery':
      return `status ${msg.status}`;
    case 'ErrorResponse':
    case 'NoticeResponse':
      return [msg.fields.severity, msg.fields.code, msg.fields.message, msg.fields.detail && `DETAIL: ${msg.fields.detail}`, msg.fields.hint && `HINT: ${msg.fields.hint}`]
        .filter(Boolean)
        .join(' ');
    case 'NegotiateProtocolVersion':
      return `protocol ${msg.version >> 16}.${msg.version & 0xffff} (${msg.version}), unrecognized: ${msg.unrecognizedOptions.join(', ') || '(none)'}`;
    case 'RowDescription':
      return msg.fields.map((f) => f.name).join(', ');
    case 'DataRow':
      return msg.values.map((v) => (v === null ? 'NULL' : v.toString('utf8'))).join(', ');
    case 'CommandComplete':
      return msg.tag;
    default:
      return '';
  }
}
