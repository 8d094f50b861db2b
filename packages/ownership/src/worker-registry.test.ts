import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeRedis, createKeys, createRedis, type Keys, type RedisClient } from '@wafleet/redis';
import { uniquePrefix, useRedis } from '@wafleet/test-support';
import { serverTimeMs } from './server-time.js';
import { WorkerRegistry } from './worker-registry.js';

describe('WorkerRegistry against a real Redis', () => {
  const redis = useRedis();
  let client: RedisClient;
  let keys: Keys;
  let registry: WorkerRegistry;

  beforeEach(() => {
    client = createRedis({ url: redis.current.url });
    keys = createKeys(uniquePrefix('reg'));
    registry = new WorkerRegistry({ redis: client, keys, deadAfterMs: 1_000 });
  });
  afterEach(async () => {
    await closeRedis(client);
  });

  const beat = (workerId: string, extra: { draining?: boolean; owned?: number } = {}) =>
    registry.heartbeat({
      workerId,
      capacity: 50,
      owned: extra.owned ?? 3,
      version: '1.2.3',
      startedAt: 1_700_000_000_000,
      ...(extra.draining === undefined ? {} : { draining: extra.draining }),
    });

  it('stamps heartbeats with the Redis server clock and stores the worker info with an expiry', async () => {
    const before = await serverTimeMs(client);
    const at = await beat('w1', { draining: true });
    const after = await serverTimeMs(client);
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(after);
    expect(Number(await redis.current.client.zscore(keys.workers(), 'w1'))).toBe(at);
    const ttl = await redis.current.client.pttl(keys.worker('w1'));
    expect(ttl).toBeGreaterThan(2_000);
    expect(ttl).toBeLessThanOrEqual(3_000);
    expect(await registry.listWorkers()).toEqual([
      {
        workerId: 'w1',
        lastHeartbeatMs: at,
        capacity: 50,
        owned: 3,
        version: '1.2.3',
        startedAt: 1_700_000_000_000,
        draining: true,
      },
    ]);
  });

  it('liveWorkers keeps only heartbeats inside the window; listWorkers keeps everyone', async () => {
    const t1 = await beat('w1');
    await beat('w2', { owned: 7 });
    const now = await serverTimeMs(client);
    expect((await registry.liveWorkers()).map((w) => w.workerId).sort()).toEqual(['w1', 'w2']);
    // Judged at a later server time, w1 (older) falls out first.
    const live = await registry.liveWorkers(1_000, t1 + 1_001);
    expect(live.every((w) => w.lastHeartbeatMs >= t1 + 1)).toBe(true);
    expect((await registry.liveWorkers(1_000, now + 60_000)).length).toBe(0);
    expect((await registry.listWorkers()).length).toBe(2);
  });

  it('a worker whose info hash expired is listed with zero capacity', async () => {
    await beat('w1');
    await redis.current.client.del(keys.worker('w1'));
    expect(await registry.listWorkers()).toMatchObject([
      { workerId: 'w1', capacity: 0, version: '', draining: false },
    ]);
  });

  it('deregister removes the heartbeat and the info', async () => {
    await beat('w1');
    await beat('w2');
    await registry.deregister('w1');
    expect((await registry.listWorkers()).map((w) => w.workerId)).toEqual(['w2']);
    expect(await redis.current.client.exists(keys.worker('w1'))).toBe(0);
  });

  it('refuses invalid worker ids and capacities', async () => {
    await expect(beat('bad id')).rejects.toThrow(/invalid worker id/);
    await expect(
      registry.heartbeat({ workerId: 'w1', capacity: -1, owned: 0, version: 'x', startedAt: 0 }),
    ).rejects.toThrow(/capacity/);
  });
});
