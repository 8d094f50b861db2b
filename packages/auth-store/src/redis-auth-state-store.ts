import type { Keys, RedisClient } from '@wafleet/redis';
import type { AuthStateStore, AuthStateStoreOptions } from './auth-state-store.js';
import { EncryptedAuthStateStore } from './encrypted-auth-state-store.js';
import { RedisAuthBackend } from './redis-auth-backend.js';

/** Options of {@link createRedisAuthStateStore}. */
export interface RedisAuthStateStoreOptions extends AuthStateStoreOptions {
  /** A command connection (`createRedis({ url, role: 'command' })`); standalone, Sentinel or Cluster. */
  redis: RedisClient;
  /** The deployment's key schema: `createKeys(REDIS_KEY_PREFIX)`. */
  keys: Keys;
}

/** The production auth state store: creds and signal keys in Redis, encrypted, fenced. */
export function createRedisAuthStateStore(options: RedisAuthStateStoreOptions): AuthStateStore {
  return new EncryptedAuthStateStore(new RedisAuthBackend(options.redis, options.keys), options);
}
