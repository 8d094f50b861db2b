import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RECONNECT_POLICY as P,
  decideReconnect,
  fullJitterDelay,
  type ReconnectHistory,
} from './reconnect-policy.js';

const now = 1_000_000;
const fresh: ReconnectHistory = { failuresSinceStableOpen: 0, recentConflicts: [], now };
const mid = () => 0.5;

describe('decideReconnect: one row per disconnect code', () => {
  it.each([
    // code, message, expected type, expected state (stop) or delay bounds (reconnect)
    [401, 'Stream Errored (unknown)', { type: 'stop', state: 'logged_out', wipeAuth: true }],
    [401, 'Intentional Logout', { type: 'stop', state: 'logged_out', wipeAuth: true }],
    [403, '', { type: 'stop', state: 'failed', wipeAuth: false }],
    [
      400,
      'noise intermediate certificate signature invalid',
      { type: 'stop', state: 'failed', wipeAuth: false },
    ],
    [411, 'Multi-device beta not joined', { type: 'stop', state: 'failed', wipeAuth: false }],
    [408, 'QR refs attempts ended', { type: 'stop', state: 'needs_pairing', wipeAuth: false }],
    [
      515,
      'Stream Errored (restart required)',
      { type: 'reconnect', delayMs: 0, afterCredsCommitted: true },
    ],
    [408, 'Connection was lost', { type: 'reconnect', afterCredsCommitted: false }],
    [428, 'Connection Terminated', { type: 'reconnect', afterCredsCommitted: false }],
    [440, 'Stream Errored (conflict)', { type: 'reconnect', afterCredsCommitted: false }],
    [500, 'Stream Errored (unknown)', { type: 'reconnect', afterCredsCommitted: false }],
    [503, '', { type: 'reconnect', afterCredsCommitted: false }],
    [undefined, 'no status', { type: 'reconnect', afterCredsCommitted: false }],
  ] as const)('%s %s', (code, message, expected) => {
    const action = decideReconnect({ code, message }, fresh, P, mid);
    expect(action).toMatchObject(expected);
    if (action.type === 'reconnect' && code !== 515) {
      expect(action.delayMs).toBeGreaterThanOrEqual(P.minDelayMs);
      expect(action.delayMs).toBeLessThanOrEqual(Math.max(P.maxDelayMs, P.conflictBaseDelayMs));
    }
  });

  it('waits at least the conflict delay after a 440', () => {
    const action = decideReconnect({ code: 440 }, fresh, P, () => 0);
    expect(action).toMatchObject({ type: 'reconnect' });
    expect(action.type === 'reconnect' && action.delayMs).toBeGreaterThanOrEqual(
      P.conflictBaseDelayMs,
    );
  });

  it('stops in conflict after maxConflicts within the window, not before', () => {
    const two = { ...fresh, recentConflicts: [now - 1000, now - 2000] };
    expect(decideReconnect({ code: 440 }, two, P, mid).type).toBe('reconnect');
    const three = { ...fresh, recentConflicts: [now - 1000, now - 2000, now - 3000] };
    expect(decideReconnect({ code: 440 }, three, P, mid)).toMatchObject({
      type: 'stop',
      state: 'conflict',
    });
    const old = {
      ...fresh,
      recentConflicts: [now - P.conflictWindowMs - 1, now - P.conflictWindowMs - 2, now - 1],
    };
    expect(decideReconnect({ code: 440 }, old, P, mid).type).toBe('reconnect');
  });

  it('backs off exponentially with jitter and a cap', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) =>
      decideReconnect({ code: 428 }, { ...fresh, failuresSinceStableOpen: n }, P, () => 0.999),
    );
    const ms = delays.map((d) => (d.type === 'reconnect' ? d.delayMs : -1));
    for (let i = 1; i < ms.length; i++) expect(ms[i]!).toBeGreaterThanOrEqual(ms[i - 1]!);
    expect(Math.max(...ms)).toBeLessThanOrEqual(P.maxDelayMs);
    expect(ms[8]).toBeGreaterThan(ms[0]! * 50);
  });

  it('gives up in failed once the restart budget is spent, 515 included', () => {
    const spent = { ...fresh, failuresSinceStableOpen: P.restartBudget };
    for (const code of [408, 428, 440, 500, 503, 515, undefined]) {
      expect(decideReconnect({ code }, spent, P, mid)).toMatchObject({
        type: 'stop',
        state: 'failed',
      });
    }
    // 401 still wipes: a removed device is logged out whatever the budget says.
    expect(decideReconnect({ code: 401 }, spent, P, mid)).toMatchObject({
      state: 'logged_out',
      wipeAuth: true,
    });
  });
});

describe('fullJitterDelay', () => {
  it('stays within [0, min(cap, base*2^n)]', () => {
    for (let n = 0; n < 40; n++) {
      const hi = fullJitterDelay(n, 100, 10_000, () => 0.999999);
      expect(hi).toBeLessThanOrEqual(Math.min(10_000, 100 * 2 ** n));
      expect(fullJitterDelay(n, 100, 10_000, () => 0)).toBe(0);
    }
  });
});
