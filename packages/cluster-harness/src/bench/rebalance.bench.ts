// `pnpm bench rebalance [--sessions 100]`: all sessions on one worker, a second joins; time until
// the two are balanced within one session and every session is open.
import { ownerCounts, TestCluster } from '../test-cluster.js';
import { numberArg, PRODUCTION_TIMING, report } from './bench-support.js';

const total = numberArg('sessions', 100);
const cluster = await TestCluster.start({
  workers: 1,
  env: { ...PRODUCTION_TIMING, MAX_CONCURRENT_CONNECTS: '16' },
});
try {
  const ids = (await cluster.addPairedSessions(total)).map((s) => s.sessionId);
  await cluster.waitAllOpen(ids, { timeoutMs: 300_000 });
  const dualBefore = (await cluster.sim.control.counters()).dualConnections;
  const moves = new Map<string, number>();
  const t0 = Date.now();
  await cluster.addWorker();
  let balancedAt = 0;
  let lastOwners = new Map((await cluster.records.list()).map((r) => [r.id, r.owner]));
  while (Date.now() - t0 < 300_000) {
    const recs = await cluster.records.list();
    for (const r of recs) {
      if (lastOwners.get(r.id) !== r.owner && r.owner) moves.set(r.id, (moves.get(r.id) ?? 0) + 1);
    }
    lastOwners = new Map(recs.map((r) => [r.id, r.owner]));
    const counts = [...ownerCounts(recs.filter((r) => r.state === 'open')).values()];
    if (
      counts.length === 2 &&
      recs.every((r) => r.state === 'open') &&
      Math.abs(counts[0]! - counts[1]!) <= 1
    ) {
      balancedAt = Date.now() - t0;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const counters = await cluster.sim.control.counters();
  report({
    bench: 'rebalance',
    sessions: total,
    balance_ms: balancedAt || null,
    moved: moves.size,
    moved_twice: [...moves.values()].filter((n) => n > 1).length,
    dual_connections: counters.dualConnections - dualBefore,
  });
} finally {
  await cluster.stop();
}
