/**
 * One test per rejection branch of the SCRAM server, each with the SQLSTATE,
 * message and detail PostgreSQL 15-18 give (auth-scram.c; reference
 * postgres-auth.md §4.2, §4.4).
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ScramError, createScramServer, type ScramServer } from '../../src/scram/index.js';
import { buildScramSecret, parseScramSecret } from '../../src/secrets/index.js';

const PASSWORD = 'pencil';
const SALT = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
const secret = parseScramSecret(buildScramSecret(PASSWORD, { salt: SALT, iterations: 16 }));
const CB_DATA = createHash('sha256').update('our certificate').digest();

/** Client proof for an arbitrary AuthMessage, built from RFC 5802's formulas with node:crypto only. */
function proofFor(password: string, authMessage: string): string {
  const salted = pbkdf2Sync(password, SALT, 16, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const sig = createHmac('sha256', storedKey).update(authMessage).digest();
  return Buffer.from(clientKey.map((b, i) => b ^ sig[i]!)).toString('base64');
}

function server(opts: { plus?: boolean; tls?: boolean; doomed?: boolean } = {}): ScramServer {
  return createScramServer({
    mechanism: opts.plus ? 'SCRAM-SHA-256-PLUS' : 'SCRAM-SHA-256',
    secret,
    tlsAvailable: opts.tls ?? opts.plus ?? false,
    ...(opts.plus || opts.tls ? { channelBindingData: CB_DATA } : {}),
    nonce: 'SNONCE',
    ...(opts.doomed ? { doomed: true } : {}),
  });
}

function expectRefusal(fn: () => unknown, want: { step: string; sqlstate: string; message: string; detail?: string }): void {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ScramError);
    const e = err as ScramError;
    expect({ step: e.step, sqlstate: e.sqlstate, message: e.message, detail: e.detail }).toEqual({ detail: undefined, ...want });
    return;
  }
  throw new Error('expected a ScramError');
}

const malformed = (detail: string) => ({ step: 'client-first', sqlstate: '08P01', message: 'malformed SCRAM message', detail });
const PLUS_WITHOUT_CB = 'The client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel binding data.';

describe('SCRAM server: mechanism choice', () => {
  it('refuses -PLUS without TLS as "client selected an invalid SASL authentication mechanism"', () => {
    expectRefusal(() => createScramServer({ mechanism: 'SCRAM-SHA-256-PLUS', secret, tlsAvailable: false }), {
      step: 'client-first',
      sqlstate: '08P01',
      message: 'client selected an invalid SASL authentication mechanism',
    });
  });
  it('refuses a mechanism name it does not know', () => {
    expectRefusal(() => createScramServer({ mechanism: 'SCRAM-SHA-1' as never, secret, tlsAvailable: false }), {
      step: 'client-first',
      sqlstate: '08P01',
      message: 'client selected an invalid SASL authentication mechanism',
    });
  });
});

describe('SCRAM server: client-first-message', () => {
  const cases: Array<[string, { plus?: boolean; tls?: boolean }, string, Parameters<typeof expectRefusal>[1]]> = [
    ['an empty message', {}, '', malformed('The message is empty.')],
    ['an embedded NUL', {}, 'n,,n=,r=abc\0', malformed('Message length does not match input length.')],
    ["'n' under -PLUS", { plus: true }, 'n,,n=,r=abc', malformed(PLUS_WITHOUT_CB)],
    ["'y' under -PLUS", { plus: true }, 'y,,n=,r=abc', malformed(PLUS_WITHOUT_CB)],
    [
      "'y' when TLS is in use (downgrade attack)",
      { tls: true },
      'y,,n=,r=abc',
      {
        step: 'client-first',
        sqlstate: '28000',
        message: 'SCRAM channel binding negotiation error',
        detail: 'The client supports SCRAM channel binding but thinks the server does not.  However, this server does support channel binding.',
      },
    ],
    [
      "'p=' without -PLUS",
      {},
      'p=tls-server-end-point,,n=,r=abc',
      malformed('The client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data.'),
    ],
    [
      'an unsupported channel-binding type',
      { plus: true },
      'p=tls-unique,,n=,r=abc',
      { step: 'client-first', sqlstate: '08P01', message: 'unsupported SCRAM channel-binding type "tls-unique"' },
    ],
    ['an unknown flag', {}, 'x,,n=,r=abc', malformed(`Unexpected channel-binding flag "'x'".`)],
    ['no comma after the flag', {}, 'nx,n=,r=abc', malformed(`Comma expected, but found character "'x'".`)],
    [
      'an authzid',
      {},
      'n,a=bob,n=,r=abc',
      { step: 'client-first', sqlstate: '0A000', message: 'client uses authorization identity, but it is not supported' },
    ],
    ['something else before the second comma', {}, 'n,x,n=,r=abc', malformed(`Unexpected attribute "'x'" in client-first-message.`)],
    ['end of message after the GS2 flag', { plus: true }, 'p=tls-server-end-point', malformed('Unexpected attribute "0x00" in client-first-message.')],
    [
      'a mandatory extension',
      {},
      'n,,m=ext,n=,r=abc',
      { step: 'client-first', sqlstate: '0A000', message: 'client requires an unsupported SCRAM extension' },
    ],
    ['no n= attribute', {}, 'n,,r=abc', malformed(`Expected attribute "n" but found "'r'".`)],
    ['n without =', {}, 'n,,nuser,r=abc', malformed('Expected character "=" for attribute "n".')],
    ['no r= attribute', {}, 'n,,n=', malformed('Expected attribute "r" but found "0x00".')],
    [
      'a non-printable nonce',
      {},
      'n,,n=,r=ab\x7f',
      { step: 'client-first', sqlstate: '08P01', message: 'non-printable characters in SCRAM nonce' },
    ],
    ['an extension that is not ALPHA=', {}, 'n,,n=,r=abc,1=2', malformed(`Attribute expected, but found invalid character "'1'".`)],
  ];
  for (const [name, opts, msg, want] of cases) {
    it(`refuses ${name}`, () => expectRefusal(() => server(opts).handleClientFirst(msg), want));
  }

  it("accepts 'y' without TLS, ignores n= and extensions, and answers r=<client><server>,s=,i=", () => {
    expect(server().handleClientFirst('y,,n=someone,r=abc,x=ext')).toBe(`r=abcSNONCE,s=${SALT.toString('base64')},i=16`);
  });

  it('refuses a second client-first-message', () => {
    const s = server();
    s.handleClientFirst('n,,n=,r=abc');
    expect(() => s.handleClientFirst('n,,n=,r=abc')).toThrow(ScramError);
  });
});

describe('SCRAM server: client-final-message', () => {
  const bare = 'n=,r=abc';
  const sfirst = `r=abcSNONCE,s=${SALT.toString('base64')},i=16`;
  const finalFor = (withoutProof: string, password = PASSWORD) =>
    `${withoutProof},p=${proofFor(password, `${bare},${sfirst},${withoutProof}`)}`;
  const cbPlus = Buffer.concat([Buffer.from('p=tls-server-end-point,,'), CB_DATA]).toString('base64');
  const final = (s: ScramServer, msg: string) => s.handleClientFinal(msg);
  const started = (gs2: string, opts: { plus?: boolean; tls?: boolean; doomed?: boolean } = {}) => {
    const s = server(opts);
    expect(s.handleClientFirst(gs2 + bare)).toBe(sfirst);
    return s;
  };
  const f = (detail: string) => ({ step: 'client-final', sqlstate: '08P01', message: 'malformed SCRAM message', detail });

  it('accepts the right proof and returns v=ServerSignature', () => {
    const r = final(started('n,,'), finalFor('c=biws,r=abcSNONCE'));
    expect(r.ok).toBe(true);
  });

  it('accepts extensions between r= and p= (they are part of the signed message)', () => {
    expect(final(started('n,,'), finalFor('c=biws,r=abcSNONCE,x=1')).ok).toBe(true);
  });

  it('accepts a -PLUS exchange whose c= carries our certificate hash', () => {
    expect(final(started('p=tls-server-end-point,,', { plus: true }), finalFor(`c=${cbPlus},r=abcSNONCE`)).ok).toBe(true);
  });

  it('returns ok:false (not an error) for a wrong password', () => {
    expect(final(started('n,,'), finalFor('c=biws,r=abcSNONCE', 'wrong'))).toEqual({ ok: false, reason: 'invalid proof' });
  });

  it('fails a doomed exchange at the proof even when the proof is right', () => {
    expect(final(started('n,,', { doomed: true }), finalFor('c=biws,r=abcSNONCE')).ok).toBe(false);
  });

  const refusals: Array<[string, string, { plus?: boolean; tls?: boolean }, () => string, Parameters<typeof expectRefusal>[1]]> = [
    [
      "c= of 'y' after flag 'n'",
      'n,,',
      {},
      () => finalFor('c=eSws,r=abcSNONCE'),
      { step: 'client-final', sqlstate: '08P01', message: 'unexpected SCRAM channel-binding attribute in client-final-message' },
    ],
    [
      "c= of 'n' after flag 'y'",
      'y,,',
      {},
      () => finalFor('c=biws,r=abcSNONCE'),
      { step: 'client-final', sqlstate: '08P01', message: 'unexpected SCRAM channel-binding attribute in client-final-message' },
    ],
    [
      'c= with another certificate hash under -PLUS',
      'p=tls-server-end-point,,',
      { plus: true },
      () => finalFor(`c=${Buffer.concat([Buffer.from('p=tls-server-end-point,,'), Buffer.alloc(32)]).toString('base64')},r=abcSNONCE`),
      { step: 'client-final', sqlstate: '28000', message: 'SCRAM channel binding check failed' },
    ],
    [
      'c=biws under -PLUS',
      'p=tls-server-end-point,,',
      { plus: true },
      () => finalFor('c=biws,r=abcSNONCE'),
      { step: 'client-final', sqlstate: '28000', message: 'SCRAM channel binding check failed' },
    ],
    ['no c= first', 'n,,', {}, () => finalFor('r=abcSNONCE'), f(`Expected attribute "c" but found "'r'".`)],
    ['no r= after c=', 'n,,', {}, () => finalFor('c=biws,x=abcSNONCE'), f(`Expected attribute "r" but found "'x'".`)],
    [
      'a wrong nonce',
      'n,,',
      {},
      () => finalFor('c=biws,r=abcSNONCX'),
      { step: 'client-final', sqlstate: '08P01', message: 'invalid SCRAM response', detail: 'Nonce does not match.' },
    ],
    [
      'only the client nonce',
      'n,,',
      {},
      () => finalFor('c=biws,r=abc'),
      { step: 'client-final', sqlstate: '08P01', message: 'invalid SCRAM response', detail: 'Nonce does not match.' },
    ],
    ['a proof of the wrong length', 'n,,', {}, () => `c=biws,r=abcSNONCE,p=${Buffer.alloc(31).toString('base64')}`, f('Malformed proof in client-final-message.')],
    ['a proof that is not base64', 'n,,', {}, () => 'c=biws,r=abcSNONCE,p=!!!!', f('Malformed proof in client-final-message.')],
    ['the proof checked before the nonce', 'n,,', {}, () => 'c=biws,r=wrong,p=AAAA', f('Malformed proof in client-final-message.')],
    ['no proof', 'n,,', {}, () => 'c=biws,r=abcSNONCE', f('Attribute expected, but found end of string.')],
    ['garbage after the proof', 'n,,', {}, () => `${finalFor('c=biws,r=abcSNONCE')},x=1`, f('Garbage found at the end of client-final-message.')],
    ['an empty message', 'n,,', {}, () => '', f('The message is empty.')],
  ];
  for (const [name, gs2, opts, msg, want] of refusals) {
    it(`refuses ${name}`, () => {
      const s = started(gs2, opts);
      expectRefusal(() => final(s, msg()), want);
    });
  }

  it('refuses client-final before client-first, and a second client-final', () => {
    expect(() => server().handleClientFinal('c=biws,r=x,p=AAAA')).toThrow(/out of order/);
    const s = started('n,,');
    final(s, finalFor('c=biws,r=abcSNONCE'));
    expect(() => final(s, finalFor('c=biws,r=abcSNONCE'))).toThrow(/out of order/);
  });
});
