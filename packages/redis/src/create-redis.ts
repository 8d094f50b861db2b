import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { parseRedisUrl } from './parse-redis-url.js';

/**
 * What a connection is for. BullMQ workers (and anything that blocks) need
 * `maxRetriesPerRequest: null` so a Redis blip never fails their blocking calls; command
 * connections fail fast instead, so HTTP requests get an error rather than hang.
 */
export type RedisRole = 'command' | 'blocking' | 'subscriber';

export interface CreateRedisOptions {
  url: string;
  role?: RedisRole;
  /**
   * `CLIENT SETNAME` for every connection. Workers set it to their worker id: the coordinator
   * recognises a dead worker by none of its named connections remaining.
   */
  connectionName?: string;
  /** Do not connect until the first command (or `connect()`). */
  lazyConnect?: boolean;
}

export type RedisClient = Redis | Cluster;

function roleOptions(role: RedisRole): RedisOptions {
  if (role === 'command') {
    return { maxRetriesPerRequest: 3, enableOfflineQueue: true, enableAutoPipelining: true };
  }
  return { maxRetriesPerRequest: null, enableReadyCheck: true };
}

/** Reconnect quickly at first, then at most every 2 s, forever: Redis restarts must heal by themselves. */
function retryStrategy(times: number): number {
  return Math.min(50 * 2 ** Math.min(times, 6), 2000);
}

/** The one Redis client factory: standalone, Sentinel or Cluster from `REDIS_URL`. */
export function createRedis(options: CreateRedisOptions): RedisClient {
  const target = parseRedisUrl(options.url);
  const base: RedisOptions = {
    ...roleOptions(options.role ?? 'command'),
    retryStrategy,
    lazyConnect: options.lazyConnect ?? false,
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
    ...(target.username ? { username: target.username } : {}),
    ...(target.password ? { password: target.password } : {}),
  };
  switch (target.mode) {
    case 'standalone':
      return new Redis({
        ...base,
        host: target.host,
        port: target.port,
        db: target.db,
        ...(target.tls ? { tls: { servername: target.host } } : {}),
      });
    case 'sentinel':
      return new Redis({
        ...base,
        sentinels: target.sentinels,
        name: target.masterName,
        db: target.db,
        ...(target.tls ? { tls: {}, enableTLSForSentinelMode: true } : {}),
        ...(target.password ? { sentinelPassword: target.password } : {}),
      });
    case 'cluster': {
      const clusterOptions: ClusterOptions = {
        redisOptions: { ...base, ...(target.tls ? { tls: {} } : {}) },
        clusterRetryStrategy: retryStrategy,
        lazyConnect: base.lazyConnect ?? false,
        enableOfflineQueue: true,
      };
      return new Cluster(target.nodes, clusterOptions);
    }
  }
}

/**
 * Resolves once the client passed its ready check. A subscriber must wait for it: a SUBSCRIBE
 * sent while the connection is still checking puts it in subscriber mode, ioredis then refuses
 * its own ready check (INFO) and the subscription can be lost.
 */
export async function whenReady(client: RedisClient): Promise<void> {
  if (client.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const onReady = () => {
      client.off('end', onEnd);
      resolve();
    };
    const onEnd = () => {
      client.off('ready', onReady);
      reject(new Error('the Redis connection ended before it was ready'));
    };
    client.once('ready', onReady);
    client.once('end', onEnd);
  });
}

/** Closes a client: QUIT when connected, disconnect otherwise, never throws. */
export async function closeRedis(client: RedisClient): Promise<void> {
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch {
    client.disconnect();
  }
}
