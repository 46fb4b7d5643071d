#!/usr/bin/env node
// The floor of any Node.js login client (bench only): one SCRAM-SHA-256
// login and `SELECT 1` over plain TCP, with nothing but node:net and
// node:crypto — no argument parsing, no conninfo rules, no report. What it
// takes above `node -e 0` is what Node itself costs a probe.
// Usage: PGPASSWORD=... node bench/probe-floor.cjs HOST PORT USER DBNAME
'use strict';
const { connect } = require('node:net');
const { createHash, createHmac, pbkdf2Sync, randomBytes } = require('node:crypto');

const [host, port, user, dbname] = process.argv.slice(2);
const password = process.env.PGPASSWORD ?? '';
const hmac = (key, data) => createHmac('sha256', key).update(data).digest();

function message(type, body) {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}
function startup() {
  const body = Buffer.from(`\0\x03\0\0user\0${user}\0database\0${dbname}\0\0`, 'latin1');
  const len = Buffer.alloc(4);
  len.writeInt32BE(body.length + 4);
  return Buffer.concat([len, body]);
}

const nonce = randomBytes(18).toString('base64');
const clientFirstBare = `n=,r=${nonce}`;
let authMessage = '';
let pending = Buffer.alloc(0);
const socket = connect(Number(port), host, () => socket.write(startup()));
socket.on('error', (e) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(2);
});
socket.on('data', (chunk) => {
  pending = Buffer.concat([pending, chunk]);
  while (pending.length >= 5 && pending.length >= 1 + pending.readInt32BE(1)) {
    const type = String.fromCharCode(pending[0]);
    const body = pending.subarray(5, 1 + pending.readInt32BE(1));
    pending = pending.subarray(1 + pending.readInt32BE(1));
    onMessage(type, body);
  }
});

function onMessage(type, body) {
  if (type === 'E') {
    process.stderr.write(`server error: ${body.toString('latin1')}\n`);
    process.exit(1);
  }
  if (type === 'Z') {
    if (!onMessage.queried) {
      onMessage.queried = true;
      socket.write(message('Q', Buffer.from('SELECT 1\0')));
    } else socket.end(message('X', Buffer.alloc(0)));
    return;
  }
  if (type !== 'R') return;
  const code = body.readInt32BE(0);
  if (code === 10) {
    const first = Buffer.from(`n,,${clientFirstBare}`);
    const len = Buffer.alloc(4);
    len.writeInt32BE(first.length);
    socket.write(message('p', Buffer.concat([Buffer.from('SCRAM-SHA-256\0'), len, first])));
  } else if (code === 11) {
    const serverFirst = body.subarray(4).toString();
    const attrs = Object.fromEntries(serverFirst.split(',').map((kv) => [kv[0], kv.slice(2)]));
    const salted = pbkdf2Sync(password, Buffer.from(attrs.s, 'base64'), Number(attrs.i), 32, 'sha256');
    const clientKey = hmac(salted, 'Client Key');
    const withoutProof = `c=biws,r=${attrs.r}`;
    authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(createHash('sha256').update(clientKey).digest(), authMessage);
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i])).toString('base64');
    socket.write(message('p', Buffer.from(`${withoutProof},p=${proof}`)));
  }
}
