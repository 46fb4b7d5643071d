/**
 * Frontend messages to bytes through the shared codec (src/protocol).
 *
 * Workaround, to drop once the codec is fixed: protocol's Writer.cstring
 * checks for an embedded NUL with `buf.indexOf(0, off) < off + n`, which is
 * also true when indexOf finds no NUL at all (-1) in the rest of its
 * allocUnsafe buffer, so it throws "string contains a NUL byte" at random.
 * This writer keeps the codec's layout and only replaces that check.
 */
import { ProtocolError, Writer, writeFrontend, type FrontendMessage } from '../protocol/index.js';

class CheckedWriter extends Writer {
  override cstring(v: string): this {
    const bytes = Buffer.from(v, 'utf8');
    if (bytes.includes(0)) throw new ProtocolError('a string sent to the server contains a NUL byte');
    return this.bytes(bytes).byte(0);
  }
}

export function encodeFrontend(msg: FrontendMessage): Buffer {
  const w = new CheckedWriter();
  writeFrontend(w, msg);
  return w.end();
}
