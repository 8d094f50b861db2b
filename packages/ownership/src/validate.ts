import type { Logger } from '@wafleet/core';
import { ownershipErrors } from './errors.js';

// Same rule as the key schema's worker ids; it also guarantees no ":" inside "<workerId>:<fence>".
const WORKER_ID = /^[A-Za-z0-9._-]{1,100}$/;

/** Throws INVALID_WORKER_ID unless `workerId` is safe in keys and lease values. */
export function assertWorkerId(workerId: string): void {
  if (!WORKER_ID.test(workerId)) {
    throw ownershipErrors.create('INVALID_WORKER_ID', { workerId: JSON.stringify(workerId) });
  }
}

/** Throws INVALID_OPTION unless `value` is an integer ≥ `min`. */
export function assertInt(option: string, value: number, min = 1): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw ownershipErrors.create('INVALID_OPTION', {
      option,
      problem: `must be an integer >= ${min}, got ${String(value)}`,
    });
  }
}

/** Calls an optional user hook; a throwing hook (metrics, logging) must never break lease logic. */
export function callHook<A extends unknown[]>(
  logger: Logger | undefined,
  name: string,
  hook: ((...args: A) => void) | undefined,
  ...args: A
): void {
  if (!hook) return;
  try {
    hook(...args);
  } catch (err) {
    logger?.error({ err, hook: name }, 'ownership hook threw');
  }
}
