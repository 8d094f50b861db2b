export * from './harness.js';
export { useRedis } from './use-redis.js';
