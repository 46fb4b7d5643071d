/**
 * The direct-TLS diagnosis names a version only when the server's behaviour
 * shows it (the per-version runs in postgres-<major>.test.ts check it live).
 */
import { describe, expect, it } from 'vitest';
import { diagnose, type DiagnosisFacts } from '../../src/probe/diagnose.js';

const facts = (sslRequestAnswer?: 'S' | 'N' | null): DiagnosisFacts => ({
  failure: { origin: 'client', code: 'tls-unsupported', message: 'server closed the connection unexpectedly\n(direct TLS: the server closed the connection; PostgreSQL 16 and older do not support sslnegotiation=direct)', reason: 'direct-tls-closed' },
  serverKind: 'unknown', user: 'alice', dbname: 'postgres', host: '127.0.0.1', port: 5432, unix: false, tls: false,
  sslmode: 'require', authMethod: null, passwordSource: null,
  ...(sslRequestAnswer !== undefined ? { sslRequestAnswer } : {}),
});

describe('direct TLS closed at the ClientHello', () => {
  it("'N' to the SSLRequest: no TLS at all, no version named as the cause", () => {
    const d = diagnose(facts('N'));
    expect(d.code).toBe('tls-unsupported');
    expect(d.cause).toContain('ssl = off');
    expect(d.cause).not.toMatch(/PostgreSQL \d+/);
    expect(d.fix).toContain('ssl = on');
  });

  it("'S' to the SSLRequest: TLS is there, direct TLS is not (PostgreSQL 16 and older, or a pooler)", () => {
    const d = diagnose(facts('S'));
    expect(d.cause).toContain('PostgreSQL 16 and older');
    expect(d.fix).toContain('sslnegotiation=postgres');
  });

  it('no answer: both possibilities, neither asserted', () => {
    const d = diagnose(facts(null));
    expect(d.cause).toContain('either');
    expect(d.cause).toContain('ssl = off');
  });
});
