import type { TestCluster } from '../test-cluster.js';

/** Nearest-rank percentile of a sorted list. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Summary figures of a list of durations (ms), rounded to whole ms. */
export function summarize(values: number[]): {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  count: number;
} {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    p50_ms: Math.round(percentile(sorted, 50)),
    p99_ms: Math.round(percentile(sorted, 99)),
    max_ms: Math.round(sorted[sorted.length - 1] ?? NaN),
    count: sorted.length,
  };
}

/**
 * Polls session records every `intervalMs` and returns, per session, the ms from `t0` until it was
 * first seen open on a worker not in `excluded`.
 */
export async function timesUntilOpenElsewhere(
  cluster: TestCluster,
  ids: string[],
  excluded: string[],
  t0: number,
  timeoutMs: number,
  intervalMs = 50,
): Promise<Map<string, number>> {
  const done = new Map<string, number>();
  const deadline = t0 + timeoutMs;
  while (done.size < ids.length && Date.now() < deadline) {
    const recs = await cluster.records.list();
    const now = Date.now();
    for (const r of recs) {
      if (!ids.includes(r.id) || done.has(r.id)) continue;
      if (r.state === 'open' && r.owner && !excluded.includes(r.owner)) done.set(r.id, now - t0);
    }
    await new Promise((res) => setTimeout(res, intervalMs));
  }
  if (done.size < ids.length)
    throw new Error(`${ids.length - done.size} sessions did not reopen within ${timeoutMs} ms`);
  return done;
}

/** Prints the benchmark's figures as the final JSON line. */
export function report(figures: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** Parses `--name value` style numeric options with defaults. */
export function numberArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw =
    i >= 0 ? process.argv[i + 1] : process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

/** Production-like cluster timing (the defaults of the config schema). */
export const PRODUCTION_TIMING = {
  LEASE_TTL_MS: '10000',
  HEARTBEAT_INTERVAL_MS: '1000',
  HEARTBEAT_DEAD_AFTER_MS: '3000',
  LEADER_TTL_MS: '5000',
  COORDINATOR_TICK_MS: '500',
  RECONCILE_INTERVAL_MS: '2000',
  LOG_LEVEL: 'warn',
};
