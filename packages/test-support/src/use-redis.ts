import { afterAll, afterEach, beforeAll } from 'vitest';
import { startTestRedis, type TestRedis } from './test-redis.js';

/**
 * Vitest hooks for a test file: one real redis-server for the file, flushed after each test and
 * stopped after the last. Read `.current` inside tests.
 */
export function useRedis(options: { persistence?: 'aof' | 'none'; flush?: boolean } = {}): {
  readonly current: TestRedis;
} {
  let redis: TestRedis | undefined;
  beforeAll(async () => {
    redis = await startTestRedis(options);
  });
  afterEach(async () => {
    if (redis && options.flush !== false) await redis.flush();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return {
    get current(): TestRedis {
      if (!redis)
        throw new Error('useRedis(): the server is not started yet (use it inside a test)');
      return redis;
    },
  };
}
