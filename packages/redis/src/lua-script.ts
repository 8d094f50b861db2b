import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisClient } from './create-redis.js';

/** A Lua script loaded from a `.lua` file next to the code, run with EVALSHA (falling back to EVAL). */
export class LuaScript {
  readonly source: string;
  readonly sha: string;

  /** `file` is a URL like `new URL('./x-1.lua', import.meta.url)`; the name's number is the key count. */
  constructor(
    file: URL,
    readonly numberOfKeys: number,
  ) {
    this.source = readFileSync(file, 'utf8');
    this.sha = createHash('sha1').update(this.source).digest('hex');
  }

  /** Runs the script; reloads it transparently after a Redis restart (NOSCRIPT). */
  async run(
    redis: RedisClient,
    keys: readonly string[],
    args: readonly (string | number | Buffer)[],
  ): Promise<unknown> {
    if (keys.length !== this.numberOfKeys)
      throw new Error(`script expects ${this.numberOfKeys} keys, got ${keys.length}`);
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      return redis.eval(this.source, keys.length, ...keys, ...args);
    }
  }
}
