export {
  repoRoot,
  spawnApp,
  spawnProcess,
  type AppName,
  type SpawnedApp,
  type SpawnedProcess,
} from './spawn-app.js';
export { startTestRedis, uniquePrefix, type TestRedis } from './test-redis.js';
export { until, type UntilOptions } from './until.js';
export { useRedis } from './use-redis.js';
export { startSimProcess, type SimProcess } from './sim-process.js';
