export { createMetricsRegistry, type ProcessLabels } from './registry.js';
export {
  readinessReport,
  startOpsServer,
  type OpsServer,
  type OpsServerOptions,
  type ReadinessCheck,
} from './ops-server.js';
export { Registry } from 'prom-client';
export { createWafleetMetrics, type WafleetMetrics } from './catalogue.js';
