// `pnpm bench handoff [--sessions 100]`: SIGTERM a worker; per-session gap until open elsewhere.
import { TestCluster } from '../test-cluster.js';
import {
  handoverGaps,
  numberArg,
  PRODUCTION_TIMING,
  report,
  summarize,
  timesUntilOpenElsewhere,
} from './bench-support.js';

const owned = numberArg('sessions', 100);
const cluster = await TestCluster.start({
  workers: 2,
  env: { ...PRODUCTION_TIMING, MAX_CONCURRENT_CONNECTS: '16' },
});
try {
  const ids = (await cluster.addPairedSessions(owned * 2)).map((s) => s.sessionId);
  const recs = await cluster.waitAllOpen(ids, { timeoutMs: 300_000 });
  const victimSessions = recs.filter((r) => r.owner === 'worker-1').map((r) => r.id);
  const dualBefore = (await cluster.sim.control.counters()).dualConnections;
  const victim = cluster.workers.find((w) => w.name === 'worker-1')!;
  const t0 = Date.now();
  victim.signal('SIGTERM');
  const times = await timesUntilOpenElsewhere(cluster, victimSessions, ['worker-1'], t0, 120_000);
  const exit = await victim.exited;
  const counters = await cluster.sim.control.counters();
  // The goal is about each session's gap (closed on the old owner → open on the new one); the
  // time from SIGTERM until each is open elsewhere is reported too (drain runs in waves).
  const gaps = await handoverGaps(cluster, victimSessions, 'worker-1', t0);
  const sinceSigterm = summarize([...times.values()]);
  report({
    bench: 'handoff',
    sessions: victimSessions.length,
    ttl_ms: Number(PRODUCTION_TIMING.LEASE_TTL_MS),
    ...summarize([...gaps.values()]),
    gaps_measured: gaps.size,
    since_sigterm_p50_ms: sinceSigterm.p50_ms,
    since_sigterm_p99_ms: sinceSigterm.p99_ms,
    since_sigterm_max_ms: sinceSigterm.max_ms,
    dual_connections: counters.dualConnections - dualBefore,
    exit_code: exit.code,
  });
} finally {
  await cluster.stop();
}
