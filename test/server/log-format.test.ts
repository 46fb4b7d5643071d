/** serve's text log lines (--log-format text): the protocol of an attempt, and the pg_sleep events. */
import { describe, expect, it } from 'vitest';
import { formatEventText } from '../../src/cli/serve-log.js';

describe('serve text log lines', () => {
  it('an attempt names the protocol version the session speaks', () => {
    const line = formatEventText({
      event: 'attempt',
      time: '2026-12-02T06:00:00.000Z',
      peer: '127.0.0.1:5000',
      user: 'alice',
      database: 'd',
      method: 'scram-sha-256',
      mechanism: 'SCRAM-SHA-256-PLUS',
      protocol: '3.2',
      tls: true,
      result: 'ok',
      sqlstate: null,
      message: null,
      detail: null,
      rule: null,
      ms: 12,
    });
    expect(line).toBe(
      '2026-12-02T06:00:00.000Z attempt peer=127.0.0.1:5000 user=alice database=d method=scram-sha-256 mechanism=SCRAM-SHA-256-PLUS protocol=3.2 tls=yes result=ok sqlstate=- ms=12',
    );
  });
  it('a pg_sleep starting and being cancelled', () => {
    const base = { event: 'sleep', time: '2026-12-02T06:00:00.000Z', pid: 4242, user: 'alice', seconds: 30 } as const;
    expect(formatEventText({ ...base, state: 'started' })).toBe('2026-12-02T06:00:00.000Z sleep pid=4242 user=alice seconds=30 state=started');
    expect(formatEventText({ ...base, state: 'canceled' })).toBe('2026-12-02T06:00:00.000Z sleep pid=4242 user=alice seconds=30 state=canceled');
  });
});
