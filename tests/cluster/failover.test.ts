import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownerCounts, TestCluster, type PairedSession } from '@wafleet/cluster-harness';

describe('cluster: 3 workers, 30 paired sessions', () => {
  let cluster: TestCluster;
  let sessions: PairedSession[];
  let ids: string[];
  let baseline: { pairings: number; registrations: number };

  beforeAll(async () => {
    cluster = await TestCluster.start({ workers: 3 });
    sessions = await cluster.addPairedSessions(30);
    ids = sessions.map((s) => s.sessionId);
    // Pre-paired devices count as pairings in the sim; nothing after this point may pair again.
    baseline = await cluster.sim.control.counters();
  }, 120_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('opens each session on exactly one worker, balanced within ±1, with 0 dual connections', async () => {
    const recs = await cluster.waitAllOpen(ids);
    const counts = [...ownerCounts(recs).values()];
    expect(counts).toHaveLength(3);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    const assignments = await cluster.assignments();
    for (const r of recs) expect(assignments[r.id]).toBe(r.owner);
    const counters = await cluster.sim.control.counters();
    expect(counters.dualConnections).toBe(0);
    expect(counters.pairings).toBe(baseline.pairings);
    expect(counters.registrations).toBe(0);
  }, 90_000);

  it('SIGKILL of a worker: its sessions open on the others, no re-pairing, 0 dual connections', async () => {
    const before = await cluster.waitAllOpen(ids);
    const victimId = 'worker-1';
    const victim = cluster.workers.find((w) => w.name === victimId)!;
    const moved = before.filter((r) => r.owner === victimId).map((r) => r.id);
    expect(moved.length).toBeGreaterThan(0);
    const killedAt = Date.now();
    victim.signal('SIGKILL');
    await victim.exited;
    const after = await cluster.waitAllOpen(ids, { notOn: [victimId], timeoutMs: 60_000 });
    const elapsed = Date.now() - killedAt;
    expect(new Set(after.map((r) => r.owner))).toEqual(new Set(['worker-2', 'worker-3']));
    const counters = await cluster.sim.control.counters();
    expect(counters.dualConnections).toBe(0);
    expect(counters.pairings).toBe(baseline.pairings);
    expect(counters.registrations).toBe(0);
    // Fast path: well inside the lease TTL plus reconnect.
    expect(elapsed).toBeLessThan(30_000);
    cluster.workers.splice(cluster.workers.indexOf(victim), 1);
  }, 90_000);

  it('SIGTERM of a worker: sessions reopen elsewhere faster than the TTL; no client sees 440', async () => {
    const before = await cluster.waitAllOpen(ids);
    const victimId = 'worker-2';
    const victim = cluster.workers.find((w) => w.name === victimId)!;
    expect(before.some((r) => r.owner === victimId)).toBe(true);
    const start = Date.now();
    const result = await victim.stop();
    expect(result.code).toBe(0);
    await cluster.waitAllOpen(ids, { notOn: [victimId] });
    const gap = Date.now() - start;
    expect(gap).toBeLessThan(Number(cluster.env.LEASE_TTL_MS) + 5000);
    const counters = await cluster.sim.control.counters();
    expect(counters.dualConnections).toBe(0);
    cluster.workers.splice(cluster.workers.indexOf(victim), 1);
    // Graceful handoff: the released sessions were closed before the new owner connected.
    expect(victim.lines.some((l) => l.includes('"released session"'))).toBe(true);
  }, 90_000);
});
