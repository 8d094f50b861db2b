export { checkRedis, type RedisCheck } from './check-redis.js';
export {
  closeRedis,
  createRedis,
  whenReady,
  type CreateRedisOptions,
  type RedisClient,
  type RedisRole,
} from './create-redis.js';
export { freePort } from './free-port.js';
export { createKeys, sessionTag, type Keys } from './keys.js';
export {
  assertRedisServerInstalled,
  startLocalRedis,
  type LocalRedisOptions,
  type LocalRedisServer,
} from './local-redis-server.js';
export { parseRedisUrl, type RedisTarget } from './parse-redis-url.js';
export {
  EVENT_STREAM_MAX_LEN,
  publishSessionEvent,
  readSessionEvents,
  type SessionEventEntry,
} from './session-events.js';
export {
  SessionRecords,
  type DesiredState,
  type SessionKind,
  type SessionRecord,
} from './session-records.js';
export { LuaScript } from './lua-script.js';
