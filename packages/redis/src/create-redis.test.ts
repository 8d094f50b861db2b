import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createLogger } from '@wafleet/core';
import { startLocalRedis, type LocalRedisServer } from './local-redis-server.js';
import { checkRedis } from './check-redis.js';
import { closeRedis, createRedis, whenReady } from './create-redis.js';

const logger = createLogger({ role: 'test', level: 'silent' });

describe('createRedis against a real server', () => {
  // @wafleet/test-support depends on this package, so this file starts its server directly.
  let server: LocalRedisServer;
  let admin: Redis;
  const dir = mkdtempSync(join(tmpdir(), 'wafleet-redis-pkg-'));
  const redis = {
    get current() {
      return { url: server.url, client: admin };
    },
  };
  beforeAll(async () => {
    server = await startLocalRedis({ dir });
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names connections and sets BullMQ-safe options for blocking roles', async () => {
    const worker = createRedis({
      url: redis.current.url,
      role: 'blocking',
      connectionName: 'worker-abc',
    });
    const command = createRedis({ url: redis.current.url });
    try {
      await worker.ping();
      await command.ping();
      expect(
        (worker.options as { maxRetriesPerRequest?: unknown }).maxRetriesPerRequest,
      ).toBeNull();
      expect((command.options as { maxRetriesPerRequest?: unknown }).maxRetriesPerRequest).toBe(3);
      const list = (await redis.current.client.client('LIST')) as string;
      expect(list).toMatch(/name=worker-abc /);
    } finally {
      await closeRedis(worker);
      await closeRedis(command);
    }
  });

  it('subscribes reliably right after creating a subscriber when it waits for ready first', async () => {
    for (let i = 0; i < 20; i++) {
      const sub = createRedis({ url: redis.current.url, role: 'subscriber', connectionName: 'w' });
      const errors: Error[] = [];
      sub.on('error', (err: Error) => errors.push(err));
      try {
        await whenReady(sub);
        const got = new Promise<string>((resolve) =>
          sub.once('message', (_c, m: string) => resolve(m)),
        );
        await sub.subscribe(`chan-${i}`);
        expect(await redis.current.client.publish(`chan-${i}`, 'hello')).toBe(1);
        expect(await got).toBe('hello');
        expect(errors).toEqual([]);
      } finally {
        await closeRedis(sub);
      }
    }
  });

  it('warns when maxmemory-policy is not noeviction', async () => {
    const client = createRedis({ url: redis.current.url });
    const warnings: unknown[] = [];
    const spyLogger = Object.assign(Object.create(logger) as typeof logger, {
      warn: (...args: unknown[]) => void warnings.push(args),
    });
    try {
      expect((await checkRedis(client, spyLogger)).ok).toBe(true);
      expect(warnings).toHaveLength(0);
      await redis.current.client.config('SET', 'maxmemory-policy', 'allkeys-lru');
      const check = await checkRedis(client, spyLogger);
      expect(check).toMatchObject({ ok: false, maxmemoryPolicy: 'allkeys-lru' });
      expect(check.version).toMatch(/^7\./);
      expect(JSON.stringify(warnings)).toContain('noeviction');
    } finally {
      await redis.current.client.config('SET', 'maxmemory-policy', 'noeviction');
      await closeRedis(client);
    }
  });
});
