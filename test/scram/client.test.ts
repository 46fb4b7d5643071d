/** One test per rejection branch of the SCRAM client (libpq's and node-postgres's checks, and stricter ones). */
import { describe, expect, it } from 'vitest';
import { ScramError, createScramClient, type ScramClient, type ScramErrorCode } from '../../src/scram/index.js';

const SALT = 'W22ZaJ0SNY7soEsUEjb6gQ==';

function started(opts: { maxIterations?: number } = {}): ScramClient {
  const c = createScramClient({ password: 'pencil', channelBinding: { mode: 'none' }, nonce: 'cnonce', ...opts });
  expect(c.clientFirstMessage()).toBe('n,,n=,r=cnonce');
  return c;
}

function expectScramError(fn: () => unknown, step: string, message: RegExp, code?: ScramErrorCode): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScramError);
    expect((err as ScramError).step).toBe(step);
    if (code) expect((err as ScramError).code).toBe(code);
    expect((err as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected a ScramError');
}

describe('SCRAM client: GS2 header and client-first-message', () => {
  it("sends 'n' without channel binding, 'y' when it could bind but the server offered no -PLUS, 'p=' with binding", () => {
    expect(createScramClient({ password: 'p', channelBinding: { mode: 'none' }, nonce: 'N' }).clientFirstMessage()).toBe('n,,n=,r=N');
    const y = createScramClient({ password: 'p', channelBinding: { mode: 'client-supports' }, nonce: 'N' });
    expect(y.mechanism).toBe('SCRAM-SHA-256');
    expect(y.clientFirstMessage()).toBe('y,,n=,r=N');
    expect(y.handleServerFirst(`r=NS,s=${SALT},i=1`)).toMatch(/^c=eSws,r=NS,p=/);
    const p = createScramClient({ password: 'p', channelBinding: { mode: 'tls-server-end-point', data: Buffer.from([1, 2, 3]) }, nonce: 'N' });
    expect(p.mechanism).toBe('SCRAM-SHA-256-PLUS');
    expect(p.clientFirstMessage()).toBe('p=tls-server-end-point,,n=,r=N');
    const cbind = Buffer.concat([Buffer.from('p=tls-server-end-point,,'), Buffer.from([1, 2, 3])]).toString('base64');
    expect(p.handleServerFirst(`r=NS,s=${SALT},i=1`)).toMatch(new RegExp(`^c=${cbind.replace(/[+/]/g, '\\$&')},r=NS,p=`));
  });

  it('escapes , and = in a user name as a saslname', () => {
    expect(createScramClient({ password: 'p', channelBinding: { mode: 'none' }, nonce: 'N', username: 'a,b=c' }).clientFirstMessage()).toBe(
      'n,,n=a=2Cb=3Dc,r=N',
    );
  });

  it('refuses an injected nonce that is not printable or contains a comma', () => {
    expectScramError(() => createScramClient({ password: 'p', channelBinding: { mode: 'none' }, nonce: 'a,b' }), 'client-first', /nonce/);
    expectScramError(() => createScramClient({ password: 'p', channelBinding: { mode: 'none' }, nonce: '' }), 'client-first', /nonce/);
  });

  it('refuses empty channel-binding data', () => {
    expectScramError(
      () => createScramClient({ password: 'p', channelBinding: { mode: 'tls-server-end-point', data: Buffer.alloc(0) } }),
      'client-first',
      /channel binding data is empty/,
    );
  });

  it('refuses to send client-first twice', () => {
    const c = started();
    expectScramError(() => c.clientFirstMessage(), 'client-first', /already sent/);
  });
});

describe('SCRAM client: server-first-message checks', () => {
  const cases: Array<[string, string, RegExp, ScramErrorCode]> = [
    ['empty message', '', /empty message/, 'malformed-message'],
    ['embedded NUL', `r=cnonceS\0,s=${SALT},i=4096`, /length mismatch/, 'malformed-message'],
    ['mandatory extension m=', `m=ext,r=cnonceS,s=${SALT},i=4096`, /unsupported SCRAM extension/, 'malformed-message'],
    ['first attribute not r', `s=${SALT},r=cnonceS,i=4096`, /attribute "r" expected/, 'malformed-message'],
    ['r without =', `rcnonceS,s=${SALT},i=4096`, /expected character "=" for attribute "r"/, 'malformed-message'],
    ['nonce not extending ours', `r=other,s=${SALT},i=4096`, /nonce mismatch/, 'nonce-mismatch'],
    ['nonce equal to ours (no server part)', `r=cnonce,s=${SALT},i=4096`, /adds nothing/, 'nonce-mismatch'],
    ['non-printable nonce', `r=cnonce\x01,s=${SALT},i=4096`, /non-printable/, 'malformed-message'],
    ['salt missing', 'r=cnonceS,i=4096', /attribute "s" expected/, 'malformed-message'],
    ['salt not base64', 'r=cnonceS,s=***,i=4096', /invalid salt/, 'malformed-message'],
    ['salt base64 without padding', 'r=cnonceS,s=W22ZaJ0SNY7soEsUEjb6gQ,i=4096', /invalid salt/, 'malformed-message'],
    ['iterations missing', `r=cnonceS,s=${SALT}`, /attribute "i" expected/, 'malformed-message'],
    ['iterations not a number', `r=cnonceS,s=${SALT},i=4k`, /invalid iteration count/, 'malformed-message'],
    ['iterations zero', `r=cnonceS,s=${SALT},i=0`, /invalid iteration count/, 'malformed-message'],
    ['iterations negative', `r=cnonceS,s=${SALT},i=-1`, /invalid iteration count/, 'malformed-message'],
    ['iterations above the cap', `r=cnonceS,s=${SALT},i=10000001`, /more than the limit/, 'iteration-limit'],
    ['garbage after iterations', `r=cnonceS,s=${SALT},i=4096,garbage`, /expected character "=" for attribute "g"/, 'malformed-message'],
    ['invalid attribute after iterations', `r=cnonceS,s=${SALT},i=4096,1=x`, /invalid character "'1'"/, 'malformed-message'],
    ['trailing comma', `r=cnonceS,s=${SALT},i=4096,`, /end of string/, 'malformed-message'],
  ];
  for (const [name, msg, re, code] of cases) {
    it(`refuses: ${name} (${code})`, () => {
      const c = started();
      expectScramError(() => c.handleServerFirst(msg), 'server-first', re, code);
    });
  }

  it('honours a lower maxIterations', () => {
    const c = started({ maxIterations: 4096 });
    expectScramError(() => c.handleServerFirst(`r=cnonceS,s=${SALT},i=4097`), 'server-first', /more than the limit of 4096/);
  });

  it('accepts well-formed extensions after the iteration count', () => {
    const c = started();
    expect(c.handleServerFirst(`r=cnonceS,s=${SALT},i=1,x=ext`)).toMatch(/^c=biws,r=cnonceS,p=/);
  });

  it('refuses server-first before client-first', () => {
    const c = createScramClient({ password: 'p', channelBinding: { mode: 'none' }, nonce: 'cnonce' });
    expectScramError(() => c.handleServerFirst(`r=cnonceS,s=${SALT},i=1`), 'server-first', /out of order/, 'out-of-order');
  });
});

describe('SCRAM client: server-final-message checks', () => {
  function atFinal(): ScramClient {
    const c = started();
    c.handleServerFirst(`r=cnonceS,s=${SALT},i=1`);
    return c;
  }
  const cases: Array<[string, string, RegExp, ScramErrorCode]> = [
    ['e= error', 'e=invalid-proof', /error received from server in SCRAM exchange: invalid-proof/, 'server-error'],
    ['empty', '', /empty message/, 'malformed-message'],
    ['no v=', 'x=1', /attribute "v" expected/, 'malformed-message'],
    ['signature not base64', 'v=!!!!', /invalid server signature/, 'invalid-server-signature'],
    ['signature of the wrong length', `v=${Buffer.alloc(31).toString('base64')}`, /invalid server signature/, 'invalid-server-signature'],
    ['wrong signature', `v=${Buffer.alloc(32).toString('base64')}`, /incorrect server signature/, 'server-signature-mismatch'],
  ];
  for (const [name, msg, re, code] of cases) {
    it(`refuses: ${name} (${code})`, () => {
      expectScramError(() => atFinal().verifyServerFinal(msg), 'server-final', re, code);
    });
  }

  it('refuses server-final before the client-final was sent', () => {
    expectScramError(() => started().verifyServerFinal('v=AAAA'), 'server-final', /before the exchange was completed/, 'out-of-order');
  });
});
