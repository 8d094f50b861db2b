import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { startLocalRedis } from '@wafleet/redis';
import { startTestRedis, uniquePrefix } from './test-redis.js';

describe('test redis harness', () => {
  it('starts a real redis-server on a random port, flushes, restarts with AOF and stops', async () => {
    const redis = await startTestRedis({ persistence: 'aof' });
    try {
      expect(redis.port).toBeGreaterThan(0);
      expect(await redis.client.ping()).toBe('PONG');
      const info = await redis.client.info('server');
      expect(info).toMatch(/redis_version:7\./);
      expect(await redis.client.config('GET', 'maxmemory-policy')).toEqual([
        'maxmemory-policy',
        'noeviction',
      ]);
      await redis.client.set('kept', 'yes');
      const oldPid = redis.server.process.pid;
      await redis.restart();
      expect(redis.server.process.pid).not.toBe(oldPid);
      expect(await redis.client.get('kept')).toBe('yes');
      await redis.flush();
      expect(await redis.client.dbsize()).toBe(0);
    } finally {
      await redis.stop();
    }
    expect(redis.server.process.exitCode !== null || redis.server.process.signalCode !== null).toBe(
      true,
    );
    const probe = new Redis(redis.url, {
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    probe.on('error', () => {});
    await expect(probe.connect()).rejects.toThrow();
    probe.disconnect();
  });

  it('gives an actionable error when redis-server is missing', async () => {
    await expect(
      startLocalRedis({ dir: '/tmp/unused', binary: '/nonexistent/redis-server' }),
    ).rejects.toThrow(/apt-get install -y redis-server/);
  });

  it('makes unique prefixes', () => {
    const a = uniquePrefix('auth');
    expect(a).toMatch(/^auth[0-9a-f]{8}$/);
    expect(uniquePrefix('auth')).not.toBe(a);
  });
});
