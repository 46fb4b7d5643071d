/**
 * WireConnection's writes: messages of one tick are corked until the next
 * tick (one writev), and a close in the same tick must still send them
 * first, as an immediate write did before the cork (it dropped them).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WireConnection } from '../../src/probe/connect.js';

let server: Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A server that collects everything one client sends until it closes. */
async function collector(): Promise<{ port: number; received: Promise<{ bytes: Buffer }> }> {
  let resolve!: (v: { bytes: Buffer }) => void;
  const received = new Promise<{ bytes: Buffer }>((r) => (resolve = r));
  server = createServer((s: Socket) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', () => {});
    s.on('close', () => resolve({ bytes: Buffer.concat(chunks) }));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { port: (server!.address() as AddressInfo).port, received };
}

describe('WireConnection writes', () => {
  it('writes of one tick reach the peer in order, then close() in the same tick still sends them', async () => {
    const { port, received } = await collector();
    const conn = await WireConnection.open({ address: '127.0.0.1', port }, undefined);
    conn.write(Buffer.from('first;'));
    conn.write(Buffer.from('second;'));
    conn.close();
    const { bytes } = await received;
    expect(bytes.toString()).toBe('first;second;');
  });
});
