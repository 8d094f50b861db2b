import type { RedisClient } from '@wafleet/redis';
import { ownershipErrors } from './errors.js';
import { toInt } from './redis-commands.js';

/**
 * The Redis server's clock in ms (`TIME`). Heartbeats are written and judged against this one
 * clock, so a skewed host clock can neither make a live worker look dead nor keep a dead one alive.
 */
export async function serverTimeMs(redis: RedisClient): Promise<number> {
  const reply: unknown = await redis.time();
  if (!Array.isArray(reply) || reply.length < 2) {
    throw ownershipErrors.create('UNEXPECTED_REPLY', {
      command: 'TIME',
      reply: JSON.stringify(reply),
    });
  }
  return toInt(reply[0], 'TIME') * 1000 + Math.floor(toInt(reply[1], 'TIME') / 1000);
}
