import type { Keys, RedisClient } from '@wafleet/redis';

/** The outcome of counting one request. */
export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the current window ends (epoch ms). */
  resetAt: number;
}

const WINDOW_MS = 60_000;

/**
 * Per-API-key request limit: a fixed one-minute window counted in Redis (INCR + PEXPIRE in one
 * MULTI), so every api replica shares the count. A burst of up to 2× the limit across a window
 * boundary is possible; that is the price of one round trip per request.
 */
export class RequestRateLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly limitPerMinute: number,
  ) {}

  async hit(keyId: string, now = Date.now()): Promise<RateDecision> {
    const window = Math.floor(now / WINDOW_MS);
    const key = this.keys.apiRateLimit(keyId, window);
    const replies = await this.redis
      .multi()
      .incr(key)
      .pexpire(key, WINDOW_MS * 2)
      .exec();
    const count = Number(replies?.[0]?.[1] ?? 0);
    return {
      allowed: count <= this.limitPerMinute,
      limit: this.limitPerMinute,
      remaining: Math.max(0, this.limitPerMinute - count),
      resetAt: (window + 1) * WINDOW_MS,
    };
  }
}
