import { collectDefaultMetrics, Registry } from 'prom-client';

/** Labels every series of a process carries, so one Prometheus query can tell processes apart. */
export interface ProcessLabels {
  role: string;
  instance_id: string;
}

/** One prom-client registry per process, with default metrics and the role/instance labels. */
export function createMetricsRegistry(labels: ProcessLabels): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ role: labels.role, instance_id: labels.instance_id });
  // Default metric names stay standard (process_*, nodejs_*) so stock dashboards work.
  collectDefaultMetrics({ register: registry });
  return registry;
}
