import { ownershipErrors } from './errors.js';
import { assertInt } from './validate.js';

/** TTL, renew interval and self-fencing margin of a lease holder. */
export interface LeaseTiming {
  /** Lease TTL in ms (default 10 000: how long a silently vanished holder keeps its leases). */
  ttlMs?: number;
  /** How often to renew (default ttl / 3, so two renewals can fail before the deadline). */
  renewIntervalMs?: number;
  /**
   * The holder gives the lease up this long before the TTL would run out (default ttl / 5). It
   * absorbs timer lateness and the time to close a socket after `onLost`, so the socket is shut
   * before anyone else can take the lease.
   */
  safetyMarginMs?: number;
}

/** Fills defaults and checks that renewals happen well inside the self-fencing deadline. */
export function resolveTiming(timing: LeaseTiming): Required<LeaseTiming> {
  const ttlMs = timing.ttlMs ?? 10_000;
  assertInt('ttlMs', ttlMs, 10);
  const renewIntervalMs = timing.renewIntervalMs ?? Math.floor(ttlMs / 3);
  const safetyMarginMs = timing.safetyMarginMs ?? Math.floor(ttlMs / 5);
  assertInt('renewIntervalMs', renewIntervalMs);
  assertInt('safetyMarginMs', safetyMarginMs);
  if (renewIntervalMs >= ttlMs - safetyMarginMs) {
    throw ownershipErrors.create('INVALID_OPTION', {
      option: 'renewIntervalMs',
      problem: `must be below ttlMs - safetyMarginMs (${ttlMs - safetyMarginMs} ms) so a renewal happens before the deadline`,
    });
  }
  return { ttlMs, renewIntervalMs, safetyMarginMs };
}

/** Monotonic clock in ms: immune to wall-clock jumps (NTP), which must never extend a lease. */
export function monotonicNow(): number {
  return performance.now();
}
