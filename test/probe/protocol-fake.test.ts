/**
 * Protocol negotiation as no real server here gets wrong, from scripted
 * peers: a target that hangs up on the grease request, a malformed
 * NegotiateProtocolVersion, one that skips it under grease, a wrong
 * cancel-key length, a peer that breaks after TLS. Each must end in a
 * diagnosis, never an exception.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConnParams } from '../../src/probe/conninfo.js';
import { runProbe } from '../../src/probe/probe.js';
import { STARTUP_CODES } from '../../src/protocol/codes.js';
import { fakePeer, send, stopFakePeers } from './fake-peer.js';

afterEach(() => stopFakePeers());

const probe = (port: number, extra = '', grease = false) =>
  runProbe({
    params: resolveConnParams({ target: `host=127.0.0.1 port=${port} sslmode=disable connect_timeout=5 user=alice dbname=db ${extra}`, env: {}, osUser: 'u', home: '/nonexistent' }),
    password: { value: 'pw', source: 'test' },
    grease,
  });

/** A trust login after the startup packet, with a cancel key of `keyBytes`. */
const trustLogin = (keyBytes: number): Parameters<typeof send>[1][] => [
  { type: 'AuthenticationOk' },
  { type: 'ParameterStatus', name: 'server_version', value: '18.0' },
  { type: 'BackendKeyData', processId: 42, secretKey: Buffer.alloc(keyBytes, 7) },
  { type: 'ReadyForQuery', status: 'I' },
];

describe('the probe against targets that get protocol negotiation wrong', () => {
  it('--grease: a target that closes the connection is protocol-negotiation-failed, exit 2', async () => {
    let version = 0;
    const port = await fakePeer(async (sock, _next, startup) => {
      version = startup.readUInt32BE(0);
      sock.destroy();
    });
    const r = await probe(port, '', true);
    expect(version).toBe(0x0003270f);
    expect(r.diagnosis.code).toBe('protocol-negotiation-failed');
    expect(r.exit).toBe('unreachable');
    expect(r.diagnosis.fix).toMatch(/max_protocol_version=3\.0/);
  });

  it('--grease: a target that ignores the version and starts authenticating is protocol-negotiation-failed', async () => {
    const port = await fakePeer(async (sock) => {
      send(sock, ...trustLogin(4));
    });
    const r = await probe(port, '', true);
    expect(r.diagnosis.code).toBe('protocol-negotiation-failed');
    expect(r.error.message).toMatch(/did not send NegotiateProtocolVersion/);
  });

  it('--grease: a NegotiateProtocolVersion that forgets _pq_.test_protocol_negotiation is protocol-negotiation-failed', async () => {
    const port = await fakePeer(async (sock) => {
      send(sock, { type: 'NegotiateProtocolVersion', version: STARTUP_CODES.PROTOCOL_3_0, unrecognizedOptions: [] }, ...trustLogin(4));
    });
    const r = await probe(port, '', true);
    expect(r.diagnosis.code).toBe('protocol-negotiation-failed');
    expect(r.error.message).toBe('received invalid protocol negotiation message: server did not report the unsupported "_pq_.test_protocol_negotiation" parameter');
  });

  it('a NegotiateProtocolVersion with the bare minor number (0) is libpq 18\'s "pre-3.0" refusal', async () => {
    const port = await fakePeer(async (sock) => {
      send(sock, { type: 'NegotiateProtocolVersion', version: 0, unrecognizedOptions: [] }, ...trustLogin(4));
    });
    const r = await probe(port, 'max_protocol_version=3.2');
    expect(r.diagnosis.code).toBe('protocol-negotiation-failed');
    expect(r.error.message).toBe('received invalid protocol negotiation message: server requested downgrade to pre-3.0 protocol version');
  });

  it('a second NegotiateProtocolVersion is refused as libpq 18 refuses it', async () => {
    const v: Parameters<typeof send>[1] = { type: 'NegotiateProtocolVersion', version: STARTUP_CODES.PROTOCOL_3_0, unrecognizedOptions: [] };
    const port = await fakePeer(async (sock) => {
      send(sock, v, v, ...trustLogin(4));
    });
    const r = await probe(port, 'max_protocol_version=3.2');
    expect(r.error.message).toBe('received duplicate protocol negotiation message');
  });

  it('cancel keys: 32 bytes under 3.0 and 3 bytes under 3.2 are protocol errors; 32 under 3.2 is fine', async () => {
    const cases: Array<[string, number, string | null]> = [
      ['', 32, 'cancel key with length 32 not allowed in protocol version 3.0 (must be 4 bytes)'],
      ['max_protocol_version=3.2', 3, 'cancel key with length 3 is too short (minimum 4 bytes)'],
      ['max_protocol_version=3.2', 32, null],
    ];
    for (const [extra, bytes, message] of cases) {
      const port = await fakePeer(async (sock, next) => {
        send(sock, ...trustLogin(bytes));
        await next(); // SELECT current_user: answer nothing more, the probe hangs up
        sock.destroy();
      });
      const r = await probe(port, extra);
      if (message) {
        expect(r.diagnosis.code).toBe('protocol-error');
        expect(r.error.message).toBe(message);
      } else expect(r.protocol).toMatchObject({ version: '3.2', cancelKeyBytes: 32, negotiated: false });
      stopFakePeers();
    }
  });
});
