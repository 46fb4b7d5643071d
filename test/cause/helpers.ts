/**
 * Helpers of the from-class-to-cause tests: a failing login made by the real
 * probe, with the client port its socket had (ProbeResult does not carry it
 * yet; the `net.client.socket` diagnostics channel sees the socket, and
 * AsyncLocalStorage tells which of several concurrent probes opened it).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import { resolveConnParams } from '../../src/probe/conninfo.js';
import { runProbe, type ProbeResult } from '../../src/probe/probe.js';
import type { ProbeFacts } from '../../src/probe/server-log/match.js';
import { waitFor } from '../helpers/pg.js';

export interface ProbeLogin {
  result: ProbeResult;
  facts: ProbeFacts;
}

/** Each probe's sockets, as [server port, client port] once connected. */
const probeSockets = new AsyncLocalStorage<Array<[number, number]>>();
subscribe('net.client.socket', (msg) => {
  const ports = probeSockets.getStore();
  const socket = (msg as { socket: Socket }).socket;
  socket.once('connect', () => ports?.push([socket.remotePort ?? 0, socket.localPort ?? 0]));
});

/** Runs the probe once and returns its result plus the facts the server-log matcher needs. */
export async function probeLogin(target: { host: string; port: number }, user: string, password: string, opts: { dbname?: string; connectTimeout?: number } = {}): Promise<ProbeLogin> {
  const dbname = opts.dbname ?? 'postgres';
  const sockets: Array<[number, number]> = [];
  const startedAt = Date.now();
  return probeSockets.run(sockets, async () => {
    const params = resolveConnParams({
      target: `host=${target.host} port=${target.port} user=${user} dbname=${dbname} sslmode=disable connect_timeout=${opts.connectTimeout ?? 10}`,
      env: {},
      osUser: 'nobody',
      home: '/nonexistent',
    });
    const result = await runProbe({ params, password: { value: password, source: 'test' } });
    const clientPort = sockets.filter(([server]) => server === target.port).at(-1)?.[1] ?? null;
    return { result, facts: { user, database: dbname, clientPort, startedAt, endedAt: Date.now() } };
  });
}

/** Waits until the log file holds a line (the logging collector writes after the client has its error). */
export async function waitForLogLine(read: () => string, needle: string): Promise<void> {
  await waitFor(() => read().includes(needle), `the server log to hold ${JSON.stringify(needle)}`);
}
