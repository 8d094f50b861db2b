/** Parameters of the retry backoff. */
export interface BackoffSettings {
  /** Upper bound of the first retry's delay. */
  readonly baseMs: number;
  /** No retry waits longer than this. */
  readonly capMs: number;
}

/** Defaults: first retry within 1 s, doubling, never more than 60 s. */
export const DEFAULT_BACKOFF: BackoffSettings = { baseMs: 1_000, capMs: 60_000 };

/**
 * Exponential backoff with full jitter: a uniform delay in `[0, min(cap, base·2^(n-1)))` for the
 * n-th retry. Full jitter spreads the retries of many sessions that failed together (a Redis or
 * network blip) instead of having them retry in lock-step.
 */
export function fullJitterBackoff(
  attemptsMade: number,
  settings: BackoffSettings = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, Math.min(attemptsMade - 1, 30));
  const ceiling = Math.min(settings.capMs, settings.baseMs * 2 ** exponent);
  return Math.floor(random() * ceiling);
}
