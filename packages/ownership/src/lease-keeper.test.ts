import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeRedis, createKeys, createRedis, type Keys, type RedisClient } from '@wafleet/redis';
import { startTestRedis, uniquePrefix, until, useRedis } from '@wafleet/test-support';
import { LeaseKeeper, type LeaseLostReason, type RenewRoundStats } from './lease-keeper.js';
import { SessionLease } from './session-lease.js';

interface Recorder {
  lost: { sessionId: string; reason: LeaseLostReason; at: number }[];
  rounds: (RenewRoundStats & { sentAt: number })[];
  failures: number;
}

function recorder(): Recorder {
  return { lost: [], rounds: [], failures: 0 };
}

function keeperFor(
  lease: SessionLease,
  rec: Recorder,
  timing: { ttlMs: number; renewIntervalMs: number; safetyMarginMs: number },
  workerId = 'w1',
): LeaseKeeper {
  return new LeaseKeeper({
    lease,
    workerId,
    ...timing,
    onLost: (sessionId, reason) => void rec.lost.push({ sessionId, reason, at: performance.now() }),
    onRenew: (stats) =>
      void rec.rounds.push({ ...stats, sentAt: performance.now() - stats.latencyMs }),
    onRenewFailure: () => void rec.failures++,
  });
}

describe('LeaseKeeper against a real Redis', () => {
  const redis = useRedis();
  let client: RedisClient;
  let keys: Keys;
  let lease: SessionLease;
  let keeper: LeaseKeeper | undefined;

  beforeEach(() => {
    client = createRedis({ url: redis.current.url, connectionName: 'w1' });
    keys = createKeys(uniquePrefix('keeper'));
    lease = new SessionLease({ redis: client, keys });
  });
  afterEach(async () => {
    keeper?.stop();
    keeper = undefined;
    await closeRedis(client);
  });

  it('keeps every lease alive well past its TTL, renewing all of them in one round per interval', async () => {
    const rec = recorder();
    keeper = keeperFor(lease, rec, { ttlMs: 1_000, renewIntervalMs: 200, safetyMarginMs: 200 });
    const sessions = ['a', 'b', 'c', 'd', 'e'];
    const started = performance.now();
    for (const s of sessions) expect((await keeper.acquire(s)).acquired).toBe(true);
    keeper.start();
    await until(() => rec.rounds.length >= 8, { what: '8 renewal rounds' });
    expect(performance.now() - started).toBeGreaterThan(1_000);
    // Each round renewed the whole set at once.
    for (const round of rec.rounds.slice(0, 8)) expect(round.renewed).toBe(sessions.length);
    expect(rec.lost).toEqual([]);
    for (const s of sessions) {
      expect(await redis.current.client.get(keys.lease(s))).toBe(`w1:${keeper.fenceOf(s)}`);
      expect(keeper.holds(s)).toBe(true);
    }
  });

  it('calls onLost at the next renewal when another worker took the lease', async () => {
    const rec = recorder();
    keeper = keeperFor(lease, rec, { ttlMs: 10_000, renewIntervalMs: 200, safetyMarginMs: 2_000 });
    await keeper.acquire('s1');
    await keeper.acquire('s2');
    keeper.start();
    await redis.current.client.del(keys.lease('s1'));
    const takenAt = performance.now();
    expect(await lease.acquire('s1', 'w2', 10_000)).toEqual({ acquired: true, fence: 2 });
    await until(() => rec.lost.length > 0, { what: 'onLost' });
    expect(rec.lost).toEqual([{ sessionId: 's1', reason: 'rejected', at: expect.any(Number) }]);
    // One renew interval (plus a round trip), far from the 8 s self-fencing deadline.
    expect(rec.lost[0]!.at - takenAt).toBeLessThan(200 + 300);
    expect(keeper.holds('s1')).toBe(false);
    expect(keeper.holds('s2')).toBe(true);
    expect(keeper.sessionIds()).toEqual(['s2']);
    // The new owner's lease is untouched.
    expect(await redis.current.client.get(keys.lease('s1'))).toBe('w2:2');
  });

  it('calls onLost when its lease simply vanished (expired or expired by the coordinator)', async () => {
    const rec = recorder();
    keeper = keeperFor(lease, rec, { ttlMs: 10_000, renewIntervalMs: 100, safetyMarginMs: 2_000 });
    await keeper.acquire('s1');
    keeper.start();
    expect(await lease.expireLeasesOf('w1', ['s1'])).toEqual(['s1']);
    await until(() => rec.lost.length > 0, { what: 'onLost' });
    expect(rec.lost[0]).toMatchObject({ sessionId: 's1', reason: 'rejected' });
  });

  it('holds() turns false at the deadline even while the event loop is stalled, and onLost follows', async () => {
    const rec = recorder();
    keeper = keeperFor(lease, rec, { ttlMs: 400, renewIntervalMs: 100, safetyMarginMs: 100 });
    await keeper.acquire('s1');
    keeper.start();
    // A synchronous stall: no timer, no renewal can run.
    const stallUntil = performance.now() + 450;
    while (performance.now() < stallUntil) {
      // busy
    }
    expect(keeper.holds('s1')).toBe(false);
    await until(() => rec.lost.length > 0, { what: 'onLost after the stall' });
    expect(rec.lost[0]).toMatchObject({ sessionId: 's1', reason: 'deadline' });
  });

  it('fences itself on time while renewals hang without an answer (Redis unresponsive)', async () => {
    const rec = recorder();
    // Deadline 750 ms after a renewal is sent; renewal ticks at 300 ms steps would notice it late.
    const timing = { ttlMs: 1_000, renewIntervalMs: 300, safetyMarginMs: 250 };
    keeper = keeperFor(lease, rec, timing);
    await keeper.acquire('s1');
    keeper.start();
    await until(() => rec.rounds.some((r) => r.renewed === 1), { what: 'a renewal' });
    await redis.current.client.call('CLIENT', 'PAUSE', '2000', 'WRITE');
    const pausedAt = performance.now();
    await until(() => rec.lost.length > 0, { timeoutMs: 2_000, what: 'onLost during the pause' });
    expect(rec.lost[0]).toMatchObject({ sessionId: 's1', reason: 'deadline' });
    expect(rec.lost[0]!.at - pausedAt).toBeLessThan(timing.ttlMs);
    // On time: at the deadline of the last successful renewal, not at some later renewal tick.
    const lastSuccess = Math.max(...rec.rounds.filter((r) => r.renewed === 1).map((r) => r.sentAt));
    const deadline = lastSuccess + timing.ttlMs - timing.safetyMarginMs;
    expect(rec.lost[0]!.at).toBeGreaterThanOrEqual(deadline - 5);
    expect(rec.lost[0]!.at - deadline).toBeLessThan(100);
    await redis.current.client.call('CLIENT', 'UNPAUSE');
  });

  it('releaseAll gives every lease back so the next owner starts at once', async () => {
    keeper = keeperFor(lease, recorder(), {
      ttlMs: 30_000,
      renewIntervalMs: 1_000,
      safetyMarginMs: 3_000,
    });
    for (const s of ['a', 'b', 'c']) await keeper.acquire(s);
    expect((await keeper.releaseAll()).sort()).toEqual(['a', 'b', 'c']);
    expect(keeper.sessionIds()).toEqual([]);
    for (const s of ['a', 'b', 'c']) {
      expect(await lease.acquire(s, 'w2', 30_000)).toEqual({ acquired: true, fence: 3 });
    }
  });

  it('rejects timings that leave no renewal before the deadline', () => {
    expect(
      () =>
        new LeaseKeeper({
          lease,
          workerId: 'w1',
          ttlMs: 1_000,
          renewIntervalMs: 900,
          safetyMarginMs: 200,
          onLost: () => {},
        }),
    ).toThrow(/renewIntervalMs/);
  });
});

describe('LeaseKeeper when Redis goes away', () => {
  it('fences itself (onLost "deadline") before the TTL of its last successful renewal runs out', async () => {
    const server = await startTestRedis();
    const client = createRedis({ url: server.url, connectionName: 'w1' });
    client.on('error', () => {});
    const keys = createKeys(uniquePrefix('down'));
    const lease = new SessionLease({ redis: client, keys });
    const rec = recorder();
    const ttlMs = 1_500;
    const safetyMarginMs = 300;
    const keeper = keeperFor(lease, rec, { ttlMs, renewIntervalMs: 300, safetyMarginMs });
    try {
      await keeper.acquire('s1');
      await keeper.acquire('s2');
      keeper.start();
      await until(() => rec.rounds.filter((r) => r.renewed === 2).length >= 2, {
        what: 'two successful rounds',
      });
      await server.server.stop();
      const stoppedAt = performance.now();
      await until(() => rec.lost.length === 2, { timeoutMs: 5_000, what: 'both leases lost' });
      const lastSuccess = Math.max(
        ...rec.rounds.filter((r) => r.renewed === 2).map((r) => r.sentAt),
      );
      for (const lost of rec.lost) {
        expect(lost.reason).toBe('deadline');
        expect(lost.at).toBeGreaterThan(stoppedAt);
        // Before the TTL that Redis started no earlier than the last successful renewal was sent…
        expect(lost.at).toBeLessThan(lastSuccess + ttlMs);
        // …and not before the self-fencing deadline itself.
        expect(lost.at).toBeGreaterThanOrEqual(lastSuccess + ttlMs - safetyMarginMs - 5);
      }
      expect(rec.failures).toBeGreaterThan(0);
      expect(keeper.holds('s1') || keeper.holds('s2')).toBe(false);
    } finally {
      keeper.stop();
      client.disconnect();
      await server.stop();
    }
  });
});
