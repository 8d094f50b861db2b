// Everything but the vitest hooks, for code that runs outside vitest (benchmarks, scripts).
export {
  repoRoot,
  spawnApp,
  spawnProcess,
  type AppName,
  type SpawnedApp,
  type SpawnedProcess,
} from './spawn-app.js';
export { startSimProcess, type SimProcess } from './sim-process.js';
export { startTestRedis, uniquePrefix, type TestRedis } from './test-redis.js';
export { until, type UntilOptions } from './until.js';
