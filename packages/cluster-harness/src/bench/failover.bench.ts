// `pnpm bench failover [--sessions 100] [--ttl 10000] [--connects 8]`: SIGKILL (fast path) and SIGSTOP (silent
// vanish, TTL path) of a worker owning `sessions` sessions; time until each is open elsewhere.
import { TestCluster, ownerCounts } from '../test-cluster.js';
import {
  numberArg,
  PRODUCTION_TIMING,
  report,
  summarize,
  timesUntilOpenElsewhere,
} from './bench-support.js';

const owned = numberArg('sessions', 100);
const ttl = numberArg('ttl', 10_000);

async function run(signal: 'SIGKILL' | 'SIGSTOP') {
  // Two workers share 2×owned sessions, so the victim owns about `owned`.
  const cluster = await TestCluster.start({
    workers: 2,
    env: {
      ...PRODUCTION_TIMING,
      LEASE_TTL_MS: String(ttl),
      // The worker's own default (8) unless `--connects N` asks for another.
      MAX_CONCURRENT_CONNECTS: String(numberArg('connects', 8)),
    },
  });
  try {
    const ids = (await cluster.addPairedSessions(owned * 2)).map((s) => s.sessionId);
    const recs = await cluster.waitAllOpen(ids, { timeoutMs: 300_000 });
    const victimId = 'worker-1';
    const victimSessions = recs.filter((r) => r.owner === victimId).map((r) => r.id);
    const dualBefore = (await cluster.sim.control.counters()).dualConnections;
    const victim = cluster.workers.find((w) => w.name === victimId)!;
    const t0 = Date.now();
    victim.signal(signal);
    const times = await timesUntilOpenElsewhere(
      cluster,
      victimSessions,
      [victimId],
      t0,
      ttl + 120_000,
    );
    const counters = await cluster.sim.control.counters();
    if (signal === 'SIGSTOP') victim.signal('SIGKILL');
    return {
      victim_sessions: victimSessions.length,
      ...summarize([...times.values()]),
      dual_connections: counters.dualConnections - dualBefore,
      balance: Object.fromEntries(ownerCounts(recs)),
    };
  } finally {
    await cluster.stop();
  }
}

const kill = await run('SIGKILL');
const stop = await run('SIGSTOP');
report({
  bench: 'failover',
  sessions: kill.victim_sessions,
  ttl_ms: ttl,
  max_concurrent_connects: numberArg('connects', 8),
  p50_ms: kill.p50_ms,
  p99_ms: kill.p99_ms,
  max_ms: kill.max_ms,
  dual_connections: kill.dual_connections,
  sigstop: {
    sessions: stop.victim_sessions,
    p50_ms: stop.p50_ms,
    p99_ms: stop.p99_ms,
    max_ms: stop.max_ms,
    // The frozen process still holds its TCP connections: the sim sees the new owner's login
    // while the zombie's socket is open and kicks the zombie (as WhatsApp would).
    dual_connections: stop.dual_connections,
  },
});
