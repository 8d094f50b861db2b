import type { Logger } from '@wafleet/core';
import type { RedisClient } from './create-redis.js';

/** Result of the startup check. */
export interface RedisCheck {
  version: string | undefined;
  maxmemoryPolicy: string | undefined;
  ok: boolean;
}

/**
 * Warns when Redis may evict keys: with any `maxmemory-policy` but `noeviction`, Redis under memory
 * pressure silently deletes leases, queued jobs and auth state. Managed Redis often forbids
 * CONFIG GET, so the INFO section is the fallback.
 */
export async function checkRedis(client: RedisClient, logger: Logger): Promise<RedisCheck> {
  const info = await client.info('memory').catch(() => '');
  const server = await client.info('server').catch(() => '');
  let policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
  if (!policy) {
    const reply = (await client.config('GET', 'maxmemory-policy').catch(() => [])) as string[];
    policy = reply[1];
  }
  const version = /redis_version:(\S+)/.exec(server)?.[1];
  const ok = policy === undefined || policy === 'noeviction';
  if (!ok) {
    logger.warn(
      { maxmemoryPolicy: policy },
      'Redis maxmemory-policy is not "noeviction": under memory pressure Redis may delete leases, jobs and auth state. Set maxmemory-policy noeviction.',
    );
  }
  return { version, maxmemoryPolicy: policy, ok };
}
