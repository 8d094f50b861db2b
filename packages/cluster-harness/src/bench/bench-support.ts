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

/**
 * Per-session unavailability of a handover, from the event stream: the ms between the session's
 * socket closing on `from` (its first non-open status from that worker after `t0`) and its first
 * open status on another worker. Status events carry the worker's clock.
 */
export async function handoverGaps(
  cluster: TestCluster,
  ids: string[],
  from: string,
  t0: number,
): Promise<Map<string, number>> {
  const closedAt = new Map<string, number>();
  const gaps = new Map<string, number>();
  const wanted = new Set(ids);
  const entries = await cluster.client.xrange(cluster.keys.events(), `${t0}-0`, '+');
  for (const [, f] of entries) {
    const fields = new Map<string, string>();
    for (let i = 0; i + 1 < f.length; i += 2) fields.set(f[i]!, f[i + 1]!);
    const sessionId = fields.get('sessionId') ?? '';
    if (!wanted.has(sessionId) || fields.get('type') !== 'session.status') continue;
    const data = JSON.parse(fields.get('data') ?? '{}') as { state?: string; worker?: string };
    const at = Number(fields.get('at'));
    if (data.worker === from && data.state !== 'open' && !closedAt.has(sessionId)) {
      closedAt.set(sessionId, at);
    } else if (data.worker !== from && data.state === 'open' && !gaps.has(sessionId)) {
      gaps.set(sessionId, at - (closedAt.get(sessionId) ?? t0));
    }
  }
  return gaps;
}
