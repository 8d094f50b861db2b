import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeRedis, createKeys, createRedis, type Keys, type RedisClient } from '@wafleet/redis';
import { uniquePrefix, until, useRedis } from '@wafleet/test-support';
import { ownershipErrors } from './errors.js';
import { SessionLease } from './session-lease.js';

describe('SessionLease against a real Redis', () => {
  const redis = useRedis();
  let client: RedisClient;
  let keys: Keys;
  let lease: SessionLease;
  const acquired: { sessionId: string; workerId: string; fence: number }[] = [];

  beforeEach(() => {
    client = createRedis({ url: redis.current.url, connectionName: 'lease-test' });
    keys = createKeys(uniquePrefix('lease'));
    acquired.length = 0;
    lease = new SessionLease({ redis: client, keys, onAcquire: (e) => void acquired.push(e) });
  });
  afterEach(async () => {
    await closeRedis(client);
  });

  const raw = () => redis.current.client;

  it('acquires a free lease: value <workerId>:<fence>, PX ttl, fence counter = holder fence', async () => {
    const result = await lease.acquire('s1', 'w1', 5_000);
    expect(result).toEqual({ acquired: true, fence: 1 });
    expect(await raw().get(keys.lease('s1'))).toBe('w1:1');
    expect(await raw().get(keys.fence('s1'))).toBe('1');
    const pttl = await raw().pttl(keys.lease('s1'));
    expect(pttl).toBeGreaterThan(4_000);
    expect(pttl).toBeLessThanOrEqual(5_000);
    expect(acquired).toEqual([{ sessionId: 's1', workerId: 'w1', fence: 1 }]);
    expect(await lease.current('s1')).toMatchObject({ holder: 'w1', fence: 1 });
    expect(await lease.fence('s1')).toBe(1);
  });

  it('never steals: another worker learns who holds it and for how long', async () => {
    await lease.acquire('s1', 'w1', 5_000);
    const result = await lease.acquire('s1', 'w2', 5_000);
    expect(result.acquired).toBe(false);
    if (result.acquired) return;
    expect(result.heldBy).toBe('w1');
    expect(result.ttlMs).toBeGreaterThan(4_000);
    expect(await raw().get(keys.lease('s1'))).toBe('w1:1');
    expect(await raw().get(keys.fence('s1'))).toBe('1');
    expect(acquired).toHaveLength(1);
  });

  it('the same worker acquiring again is a new acquisition with a new fence', async () => {
    await lease.acquire('s1', 'w1', 5_000);
    expect(await lease.acquire('s1', 'w1', 5_000)).toEqual({ acquired: true, fence: 2 });
    expect(await raw().get(keys.lease('s1'))).toBe('w1:2');
    // The old incarnation's fence is dead.
    expect(await lease.renew('s1', 'w1', 1, 5_000)).toBe(false);
    expect(await lease.renew('s1', 'w1', 2, 5_000)).toBe(true);
  });

  it('hands over after the TTL with a higher fence; the old holder can no longer renew or release', async () => {
    await lease.acquire('s1', 'w1', 150);
    await until(async () => (await raw().exists(keys.lease('s1'))) === 0, {
      what: 'lease expiry',
    });
    expect(await lease.acquire('s1', 'w2', 5_000)).toEqual({ acquired: true, fence: 2 });
    expect(await lease.renew('s1', 'w1', 1, 5_000)).toBe(false);
    expect(await lease.release('s1', 'w1', 1)).toBe(false);
    expect(await raw().get(keys.lease('s1'))).toBe('w2:2');
  });

  it('renew is compare-and-extend', async () => {
    await lease.acquire('s1', 'w1', 1_000);
    expect(await lease.renew('s1', 'w1', 1, 60_000)).toBe(true);
    expect(await raw().pttl(keys.lease('s1'))).toBeGreaterThan(59_000);
    expect(await lease.renew('s1', 'w2', 1, 60_000)).toBe(false);
    expect(await lease.renew('s1', 'w1', 7, 60_000)).toBe(false);
    expect(await lease.renew('missing', 'w1', 1, 60_000)).toBe(false);
    // A newer fence issued by anyone (even without a lease value) fences the holder out.
    await raw().incr(keys.fence('s1'));
    expect(await lease.renew('s1', 'w1', 1, 60_000)).toBe(false);
  });

  it('release is compare-and-delete and bumps the fence so late writes with it are refused', async () => {
    await lease.acquire('s1', 'w1', 5_000);
    expect(await lease.release('s1', 'w2', 1)).toBe(false);
    expect(await lease.release('s1', 'w1', 2)).toBe(false);
    expect(await raw().get(keys.lease('s1'))).toBe('w1:1');
    expect(await lease.release('s1', 'w1', 1)).toBe(true);
    expect(await raw().exists(keys.lease('s1'))).toBe(0);
    expect(await lease.fence('s1')).toBe(2);
    expect(await lease.current('s1')).toBeNull();
    expect(await lease.acquire('s1', 'w2', 5_000)).toEqual({ acquired: true, fence: 3 });
  });

  it('exactly one of many concurrent acquirers wins', async () => {
    const workers = Array.from({ length: 25 }, (_, i) => `w${i}`);
    const results = await Promise.all(workers.map((w) => lease.acquire('race', w, 5_000)));
    const winners = results.filter((r) => r.acquired);
    expect(winners).toEqual([{ acquired: true, fence: 1 }]);
    const winner = workers[results.findIndex((r) => r.acquired)];
    for (const r of results) if (!r.acquired) expect(r.heldBy).toBe(winner);
  });

  it('renewMany renews a batch and reports each lease', async () => {
    await lease.acquire('a', 'w1', 1_000);
    await lease.acquire('b', 'w1', 1_000);
    await lease.acquire('c', 'w2', 1_000);
    const out = await lease.renewMany(
      'w1',
      new Map([
        ['a', 1],
        ['b', 1],
        ['c', 1],
        ['d', 1],
      ]),
      30_000,
    );
    expect(Object.fromEntries(out)).toEqual({ a: true, b: true, c: false, d: false });
    expect(await raw().pttl(keys.lease('a'))).toBeGreaterThan(29_000);
    expect(await raw().pttl(keys.lease('c'))).toBeLessThanOrEqual(1_000);
  });

  it('currentMany reads many leases at once', async () => {
    await lease.acquire('a', 'w1', 5_000);
    await lease.acquire('b', 'w2', 5_000);
    const holders = await lease.currentMany(['a', 'b', 'free']);
    expect([...holders.keys()].sort()).toEqual(['a', 'b']);
    expect(holders.get('b')).toMatchObject({ holder: 'w2', fence: 1 });
  });

  it('expireLeasesOf deletes only the dead worker’s leases and fences it out', async () => {
    await lease.acquire('a', 'dead', 60_000);
    await lease.acquire('b', 'dead', 60_000);
    await lease.acquire('c', 'alive', 60_000);
    await lease.acquire('d', 'dead', 60_000);
    const expired = await lease.expireLeasesOf('dead', ['a', 'b', 'c', 'free'], {
      fences: new Map([['b', 1]]),
    });
    expect(expired).toEqual(['a', 'b']);
    expect(await raw().exists(keys.lease('a'), keys.lease('b'))).toBe(0);
    expect(await raw().get(keys.lease('c'))).toBe('alive:1');
    expect(await raw().get(keys.lease('d'))).toBe('dead:1');
    expect(await lease.fence('a')).toBe(2);
    expect(await lease.fence('c')).toBe(1);
    // A same-id process that re-acquired since the evidence was read keeps its new lease.
    expect(await lease.acquire('d', 'dead', 60_000)).toEqual({ acquired: true, fence: 2 });
    expect(await lease.expireLeasesOf('dead', ['d'], { fences: new Map([['d', 1]]) })).toEqual([]);
    expect(await raw().get(keys.lease('d'))).toBe('dead:2');
  });

  it('refuses worker ids that would break the lease value or the key schema', async () => {
    await expect(lease.acquire('s1', 'bad:id', 1_000)).rejects.toSatisfy((err) =>
      ownershipErrors.is(err, 'INVALID_WORKER_ID'),
    );
    await expect(lease.acquire('s1', 'w1', 0)).rejects.toThrow(/ttlMs/);
    await expect(lease.acquire('not valid!', 'w1', 1_000)).rejects.toThrow(/invalid session id/);
  });
});
