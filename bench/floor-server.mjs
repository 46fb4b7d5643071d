#!/usr/bin/env node
// The floor of any Node.js server of the PostgreSQL protocol (bench only):
// a net.Server that answers every connection with canned bytes — trust
// login (AuthenticationOk, the parameters, BackendKeyData, ReadyForQuery) and
// `SELECT 1` — and parses nothing beyond message boundaries. What it costs
// per login under pgbench -C is Node's per-socket machinery plus the
// kernel's writes: the part of pgauth serve's CPU that no code of ours can
// remove. Usage: node bench/floor-server.mjs PORT (prints "listening").
import { createServer } from 'node:net';

const msg = (type, body) => {
  const b = Buffer.alloc(5 + body.length);
  b.write(type, 0, 'latin1');
  b.writeInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
};
const cstr = (s) => Buffer.from(`${s}\0`);
const int32 = (n) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
const params = [['application_name', ''], ['client_encoding', 'UTF8'], ['DateStyle', 'ISO, MDY'], ['integer_datetimes', 'on'], ['IntervalStyle', 'postgres'], ['is_superuser', 'off'], ['server_encoding', 'UTF8'], ['server_version', '18.0'], ['session_authorization', 'bench'], ['standard_conforming_strings', 'on'], ['TimeZone', 'UTC']];
const LOGIN = Buffer.concat([
  msg('R', int32(0)),
  ...params.map(([k, v]) => msg('S', Buffer.concat([cstr(k), cstr(v)]))),
  msg('K', Buffer.concat([int32(4242), int32(1)])),
  msg('Z', Buffer.from('I')),
]);
const SELECT1 = Buffer.concat([
  msg('T', Buffer.concat([Buffer.from([0, 1]), cstr('?column?'), int32(0), Buffer.from([0, 0]), int32(23), Buffer.from([0, 4]), int32(-1), Buffer.from([0, 0])])),
  msg('D', Buffer.concat([Buffer.from([0, 1]), int32(1), Buffer.from('1')])),
  msg('C', cstr('SELECT 1')),
  msg('Z', Buffer.from('I')),
]);

createServer({ noDelay: true }, (s) => {
  let started = false;
  let pending = Buffer.alloc(0);
  s.on('error', () => {});
  s.on('data', (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    for (;;) {
      if (!started) {
        if (pending.length < 4 || pending.length < pending.readInt32BE(0)) return;
        const len = pending.readInt32BE(0);
        const code = pending.readInt32BE(4);
        pending = pending.subarray(len);
        if (code === 80877103) s.write('N'); // SSLRequest: no
        else { started = true; s.write(LOGIN); }
        continue;
      }
      if (pending.length < 5 || pending.length < 1 + pending.readInt32BE(1)) return;
      const type = pending[0];
      pending = pending.subarray(1 + pending.readInt32BE(1));
      if (type === 0x58) return void s.destroy(); // Terminate
      if (type === 0x51) s.write(SELECT1); // Query
    }
  });
}).listen(Number(process.argv[2] ?? 0), '127.0.0.1', function () {
  process.stdout.write(`listening ${this.address().port}\n`);
});
