/** A scripted PostgreSQL-protocol peer on a loopback port, built on the shared codec (for behaviour real servers never show). */
import { createServer, type Server, type Socket } from 'node:net';
import { Framer, serializeBackend, type BackendMessage } from '../../src/protocol/index.js';

/** Runs after the startup packet; `next` gives each following message body; `startup` is the startup packet body. */
export type Script = (sock: Socket, next: () => Promise<Buffer>, startup: Buffer) => Promise<void>;

const servers: Server[] = [];

/** Listens on 127.0.0.1, port 0; each connection runs the script. Resolves with the port. */
export async function fakePeer(script: Script): Promise<number> {
  const server = createServer((sock) => {
    const framer = new Framer({ startup: true });
    const waiting: Array<(b: Buffer) => void> = [];
    const ready: Buffer[] = [];
    sock.on('error', () => {});
    sock.on('data', (d) => {
      framer.push(d);
      for (let f = framer.next(); f; f = framer.next()) {
        framer.startup = false;
        const w = waiting.shift();
        if (w) w(f.body);
        else ready.push(f.body);
      }
    });
    const next = () => new Promise<Buffer>((res) => (ready.length ? res(ready.shift()!) : waiting.push(res)));
    void next()
      .then((startup) => script(sock, next, startup))
      .catch(() => sock.destroy());
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as { port: number }).port;
}

/** Closes every peer started so far (afterEach). */
export function stopFakePeers(): void {
  for (const s of servers.splice(0)) s.close();
}

export const send = (sock: Socket, ...m: BackendMessage[]) => sock.write(serializeBackend(...m));
