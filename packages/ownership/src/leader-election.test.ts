import { afterEach, describe, expect, it } from 'vitest';
import { closeRedis, createKeys, createRedis, type Keys, type RedisClient } from '@wafleet/redis';
import { uniquePrefix, until, useRedis } from '@wafleet/test-support';
import { LeaderElection, type DemotionReason } from './leader-election.js';

interface Candidate {
  id: string;
  client: RedisClient;
  election: LeaderElection;
  elected: { fence: number; at: number }[];
  demoted: { reason: DemotionReason; at: number }[];
}

// Generous against a loaded CI machine: a leader tolerates ~1.3 s of event-loop lag before it steps down.
const timing = { ttlMs: 2_000, renewIntervalMs: 300, safetyMarginMs: 400, retryIntervalMs: 100 };

describe('LeaderElection against a real Redis', () => {
  const redis = useRedis();
  const candidates: Candidate[] = [];

  function candidate(id: string, keys: Keys): Candidate {
    const client = createRedis({ url: redis.current.url, connectionName: id });
    client.on('error', () => {});
    const c: Candidate = {
      id,
      client,
      elected: [],
      demoted: [],
      election: new LeaderElection({
        redis: client,
        keys,
        instanceId: id,
        ...timing,
        onElected: (fence) => void c.elected.push({ fence, at: performance.now() }),
        onDemoted: (reason) => void c.demoted.push({ reason, at: performance.now() }),
      }),
    };
    candidates.push(c);
    return c;
  }

  afterEach(async () => {
    for (const c of candidates.splice(0)) {
      await c.election.stop();
      await closeRedis(c.client);
    }
  });

  /** Leadership intervals never overlap: every election starts after the previous leader stepped down. */
  function expectNoOverlap(all: Candidate[]): void {
    const events = all
      .flatMap((c) => [
        ...c.elected.map((e) => ({ at: e.at, id: c.id, kind: 'up' as const })),
        ...c.demoted.map((d) => ({ at: d.at, id: c.id, kind: 'down' as const })),
      ])
      .sort((a, b) => a.at - b.at);
    let leader: string | undefined;
    for (const e of events) {
      if (e.kind === 'up') {
        expect(leader).toBeUndefined();
        leader = e.id;
      } else {
        expect(leader).toBe(e.id);
        leader = undefined;
      }
    }
  }

  it('elects exactly one of two; the other takes over within the TTL when the leader dies', async () => {
    const keys = createKeys(uniquePrefix('lead'));
    const a = candidate('coord-a', keys);
    const b = candidate('coord-b', keys);
    a.election.start();
    b.election.start();
    const first = await until(() => [a, b].find((c) => c.election.isLeader), {
      what: 'a leader',
    });
    const other = first === a ? b : a;
    // Give the standby several tries: it must stay a standby.
    await until(() => first.elected.length === 1 && other.election.isLeader === false, {
      what: 'stable leadership',
    });
    const fence = first.election.fence!;
    expect(await redis.current.client.get(keys.leader())).toBe(`${first.id}:${fence}`);
    expect(await redis.current.client.get(keys.leaderFence())).toBe(String(fence));
    // An observation window, not a wait for a condition: leadership must hold across 2 TTLs.
    const renewedUntil = performance.now() + 2 * timing.ttlMs;
    await until(() => performance.now() > renewedUntil, { timeoutMs: 10_000, what: '2 TTLs' });
    expect(first.election.isLeader).toBe(true);
    expect(other.election.isLeader).toBe(false);
    expect(other.elected).toEqual([]);

    // The leader's process dies: its connection drops, it never releases.
    first.client.disconnect();
    const killedAt = performance.now();
    await until(() => other.election.isLeader, { timeoutMs: 5_000, what: 'takeover' });
    const tookOverAfter = other.elected[0]!.at - killedAt;
    expect(tookOverAfter).toBeLessThan(timing.ttlMs + timing.retryIntervalMs + 200);
    expect(other.elected[0]!.fence).toBeGreaterThan(fence);
    // The dead leader stepped down by itself before the standby could take over.
    expect(first.demoted).toEqual([{ reason: 'deadline', at: expect.any(Number) }]);
    expect(first.election.isLeader).toBe(false);
    expectNoOverlap([a, b]);
  });

  it('a graceful stop releases the lease: the standby leads at once, not after the TTL', async () => {
    const keys = createKeys(uniquePrefix('lead'));
    const a = candidate('coord-a', keys);
    a.election.start();
    await until(() => a.election.isLeader, { what: 'a leads' });
    const b = candidate('coord-b', keys);
    b.election.start();
    await until(() => b.elected.length === 0 && a.election.isLeader, { what: 'b standby' });
    const stoppedAt = performance.now();
    await a.election.stop();
    expect(a.demoted).toEqual([{ reason: 'stopped', at: expect.any(Number) }]);
    await until(() => b.election.isLeader, { what: 'b leads' });
    expect(b.elected[0]!.at - stoppedAt).toBeLessThan(timing.ttlMs / 2);
    expect(b.elected[0]!.fence).toBe(3); // 1 = a's term, 2 = bumped by a's release
    expectNoOverlap([a, b]);
  });

  it('steps down by its own deadline while a renewal hangs (Redis unresponsive)', async () => {
    const keys = createKeys(uniquePrefix('lead'));
    const a = candidate('coord-a', keys);
    a.election.start();
    await until(() => a.election.isLeader, { what: 'a leads' });
    // Writes (and scripts) hang for longer than the TTL: no reply, no error, just silence.
    const pauseMs = timing.ttlMs + 1_000;
    await redis.current.client.call('CLIENT', 'PAUSE', String(pauseMs), 'WRITE');
    const pausedAt = performance.now();
    await until(() => a.demoted.length > 0, { timeoutMs: pauseMs, what: 'a demoted' });
    expect(a.demoted[0]!.reason).toBe('deadline');
    expect(a.demoted[0]!.at - pausedAt).toBeLessThan(timing.ttlMs);
    await redis.current.client.call('CLIENT', 'UNPAUSE');
  });

  it('steps down at once when its lease was taken away', async () => {
    const keys = createKeys(uniquePrefix('lead'));
    const a = candidate('coord-a', keys);
    a.election.start();
    await until(() => a.election.isLeader, { what: 'a leads' });
    await redis.current.client.set(keys.leader(), 'intruder:99', 'PX', 60_000);
    await until(() => a.demoted.length > 0, { what: 'a demoted' });
    expect(a.demoted[0]!.reason).toBe('rejected');
    expect(a.election.isLeader).toBe(false);
  });
});
