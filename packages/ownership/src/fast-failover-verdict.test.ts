import { describe, expect, it } from 'vitest';
import {
  fastFailoverVerdict,
  type FastFailoverInput,
  type FastFailoverVerdict,
} from './fast-failover-verdict.js';

// Heartbeat every 2 s: stale after 4 s, Redis/observer "settled" after 6 s.
const settled: FastFailoverInput = {
  heartbeatAgeMs: 5_000,
  heartbeatIntervalMs: 2_000,
  workerHasConnections: false,
  redisUptimeMs: 3_600_000,
  observerConnectedForMs: 600_000,
};

describe('fastFailoverVerdict', () => {
  const cases: { name: string; input: Partial<FastFailoverInput>; verdict: FastFailoverVerdict }[] =
    [
      { name: 'fresh heartbeat', input: { heartbeatAgeMs: 500 }, verdict: 'alive' },
      {
        name: 'one missed heartbeat is not silence yet',
        input: { heartbeatAgeMs: 3_999 },
        verdict: 'alive',
      },
      {
        name: 'fresh heartbeat even with no named connections (e.g. renamed)',
        input: { heartbeatAgeMs: 100, workerHasConnections: false },
        verdict: 'alive',
      },
      {
        name: 'process died: heartbeat stale for 2 intervals and every connection closed',
        input: { heartbeatAgeMs: 4_000 },
        verdict: 'expire-now',
      },
      {
        name: 'never heartbeated and no connections',
        input: { heartbeatAgeMs: Infinity },
        verdict: 'expire-now',
      },
      {
        name: 'silently vanished (frozen VM, partition): connections still open',
        input: { heartbeatAgeMs: 60_000, workerHasConnections: true },
        verdict: 'wait-for-ttl',
      },
      {
        name: 'Redis just restarted: everyone dropped at once',
        input: { heartbeatAgeMs: 30_000, redisUptimeMs: 1_000 },
        verdict: 'wait-for-ttl',
      },
      {
        name: 'Redis restarted exactly 3 intervals ago: still settling',
        input: { redisUptimeMs: 6_000 },
        verdict: 'wait-for-ttl',
      },
      {
        name: 'Redis up just over 3 intervals: workers had time to reconnect',
        input: { redisUptimeMs: 7_000 },
        verdict: 'expire-now',
      },
      {
        name: 'the observer itself just reconnected (its view may be from before a blip)',
        input: { observerConnectedForMs: 2_000 },
        verdict: 'wait-for-ttl',
      },
      {
        name: 'unknown heartbeat age never expires early',
        input: { heartbeatAgeMs: NaN },
        verdict: 'wait-for-ttl',
      },
      {
        name: 'custom thresholds: stale after 3 intervals',
        input: { heartbeatAgeMs: 5_000, staleIntervals: 3 },
        verdict: 'alive',
      },
      {
        name: 'custom thresholds: settle after 2 intervals',
        input: { redisUptimeMs: 4_500, observerConnectedForMs: 4_500, settleIntervals: 2 },
        verdict: 'expire-now',
      },
    ];

  it.each(cases)('$name → $verdict', ({ input, verdict }) => {
    expect(fastFailoverVerdict({ ...settled, ...input })).toBe(verdict);
  });

  it('rejects a non-positive heartbeat interval', () => {
    expect(() => fastFailoverVerdict({ ...settled, heartbeatIntervalMs: 0 })).toThrow(
      /heartbeatIntervalMs/,
    );
  });
});
