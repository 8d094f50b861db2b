import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { startLocalRedis, type LocalRedisServer } from '@wafleet/redis';

/** A real redis-server for one test file, in its own temp dir. */
export interface TestRedis {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly server: LocalRedisServer;
  /** A plain client for assertions (SCAN, raw values). Closed by `stop()`. */
  readonly client: Redis;
  /** FLUSHALL, for a clean slate between tests. */
  flush(): Promise<void>;
  /** Restarts the server on the same port and dir (AOF data survives when persistence is `aof`). */
  restart(): Promise<void>;
  /** Stops the server and removes its temp dir. */
  stop(): Promise<void>;
}

/** Starts a real `redis-server` on a random free port in a temp dir. */
export async function startTestRedis(
  options: { persistence?: 'aof' | 'none' } = {},
): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'wafleet-redis-'));
  const persistence = options.persistence ?? 'none';
  let server = await startLocalRedis({ dir, persistence });
  const port = server.port;
  const client = new Redis(server.url, { maxRetriesPerRequest: null, retryStrategy: () => 50 });
  client.on('error', () => {});
  return {
    url: server.url,
    port,
    dir,
    get server() {
      return server;
    },
    client,
    async flush() {
      await client.flushall();
    },
    async restart() {
      if (persistence === 'aof') {
        // Make sure everything acknowledged so far is on disk, as everysec would within a second.
        await client.call('BGREWRITEAOF').catch(() => undefined);
      }
      await server.stop();
      server = await startLocalRedis({ dir, port, persistence });
      await client.ping();
    },
    async stop() {
      client.disconnect();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A unique key prefix per test, as BullMQ's own suite does, so tests never see each other's keys. */
export function uniquePrefix(label = 't'): string {
  return `${label.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 12) || 't'}${randomBytes(4).toString('hex')}`;
}
