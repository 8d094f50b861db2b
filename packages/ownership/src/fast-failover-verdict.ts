import { ownershipErrors } from './errors.js';

/** What to do with a worker's leases: expire them now, let their TTL run out, or nothing. */
export type FastFailoverVerdict = 'expire-now' | 'wait-for-ttl' | 'alive';

/** Inputs of {@link fastFailoverVerdict}; every duration in ms. */
export interface FastFailoverInput {
  /** Age of the worker's last heartbeat (Infinity when it has none). */
  heartbeatAgeMs: number;
  heartbeatIntervalMs: number;
  /** Whether any Redis connection named with the worker id is still open. */
  workerHasConnections: boolean;
  redisUptimeMs: number;
  /** How long the deciding coordinator's own connection has been open. */
  observerConnectedForMs: number;
  /** Heartbeat intervals without a heartbeat before the worker counts as silent (default 2). */
  staleIntervals?: number;
  /** Intervals Redis and the observer must have been up before missing connections mean anything (default 3). */
  settleIntervals?: number;
}

/**
 * Decides whether a silent worker is provably dead. Only a dead process has its connections closed
 * by its kernel, so "heartbeat stale AND no connection named after it" means dead — unless Redis
 * itself (or our view of it) just restarted: a restart drops every client at once, and workers need
 * a few heartbeat intervals to reconnect. A worker that went silent with connections still open
 * (frozen VM, partition, stalled loop) may come back, so its leases run out by TTL instead.
 */
export function fastFailoverVerdict(input: FastFailoverInput): FastFailoverVerdict {
  const interval = input.heartbeatIntervalMs;
  if (!Number.isFinite(interval) || interval <= 0) {
    throw ownershipErrors.create('INVALID_OPTION', {
      option: 'heartbeatIntervalMs',
      problem: `must be a positive number, got ${String(interval)}`,
    });
  }
  const staleAfter = (input.staleIntervals ?? 2) * interval;
  const settled = (input.settleIntervals ?? 3) * interval;
  // Unknown (NaN) ages never justify an early expiry: the TTL is the safe default.
  if (Number.isNaN(input.heartbeatAgeMs)) return 'wait-for-ttl';
  if (input.heartbeatAgeMs < staleAfter) return 'alive';
  if (input.workerHasConnections) return 'wait-for-ttl';
  if (!(input.redisUptimeMs > settled) || !(input.observerConnectedForMs > settled)) {
    return 'wait-for-ttl';
  }
  return 'expire-now';
}
