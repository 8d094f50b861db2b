import { describe, expect, it } from 'vitest';
import { until } from '@wafleet/test-support';
import { TestCluster } from '@wafleet/cluster-harness';

async function authKeyCount(cluster: TestCluster, sessionId: string): Promise<number> {
  const [, found] = await cluster.client.scan(
    '0',
    'MATCH',
    cluster.keys.authPattern(sessionId),
    'COUNT',
    '10000',
  );
  return found.length;
}

describe('cluster resilience', () => {
  it('Redis restart (AOF) with 10 open sessions: everything reconnects, no re-pairing, 0 dual connections', async () => {
    const cluster = await TestCluster.start({ workers: 2, persistence: 'aof' });
    try {
      const ids = (await cluster.addPairedSessions(10)).map((s) => s.sessionId);
      await cluster.waitAllOpen(ids);
      const baseline = await cluster.sim.control.counters();
      await cluster.redis.restart();
      // Every app reconnects by itself; sessions stay or return to open.
      await until(
        async () => {
          for (const app of [...cluster.workers, ...cluster.coordinators]) {
            const r = await fetch(`${app.baseUrl}/readyz`).catch(() => undefined);
            if (!r?.ok) return false;
          }
          return true;
        },
        { timeoutMs: 30_000, what: 'all apps ready after the restart' },
      );
      await cluster.waitAllOpen(ids);
      const counters = await cluster.sim.control.counters();
      expect(counters.dualConnections).toBe(0);
      expect(counters.pairings).toBe(baseline.pairings);
      expect(counters.registrations).toBe(0);
      for (const app of cluster.workers) expect(app.hasExited).toBe(false);
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  it('restarting the worker process with 20 paired sessions opens all 20 again with no QR', async () => {
    const cluster = await TestCluster.start({ workers: 1 });
    try {
      const ids = (await cluster.addPairedSessions(20)).map((s) => s.sessionId);
      await cluster.waitAllOpen(ids);
      const old = cluster.workers.shift()!;
      expect((await old.stop()).code).toBe(0);
      await cluster.addWorker({ INSTANCE_ID: 'worker-restarted' });
      await cluster.waitAllOpen(ids, { notOn: ['worker-1'] });
      const counters = await cluster.sim.control.counters();
      expect(counters.registrations).toBe(0);
      expect(counters.dualConnections).toBe(0);
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  it('one logout among 50 sessions, and a device removed on the phone (401), leave the others untouched', async () => {
    const cluster = await TestCluster.start({ workers: 2 });
    try {
      const paired = await cluster.addPairedSessions(50);
      const ids = paired.map((s) => s.sessionId);
      await cluster.waitAllOpen(ids, { timeoutMs: 90_000 });
      const rawBefore = new Map<string, string | null>();
      for (const id of ids)
        rawBefore.set(
          id,
          (await cluster.client.getBuffer(cluster.keys.authCreds(id)))?.toString('base64') ?? null,
        );

      // Logout through the runner, by the command the api sends.
      const target = (await cluster.records.get('s1'))!;
      await cluster.client.publish(
        cluster.keys.workerChannel(target.owner!),
        JSON.stringify({ type: 'logout', sessionId: 's1' }),
      );
      await until(async () => (await cluster.records.get('s1'))?.state === 'logged_out', {
        what: 's1 logged out',
        timeoutMs: 30_000,
      });
      expect(await authKeyCount(cluster, 's1')).toBe(0);

      // Device removed from the phone: the sim unlinks it, the client sees 401.
      const s2 = paired[1]!;
      await cluster.sim.control.unlink(s2.deviceJid);
      await until(async () => (await cluster.records.get('s2'))?.state === 'logged_out', {
        what: 's2 logged out',
        timeoutMs: 30_000,
      });
      expect(await authKeyCount(cluster, 's2')).toBe(0);
      const s2rec = (await cluster.records.get('s2'))!;
      expect(s2rec.lastCode).toBe(401);

      const others = ids.filter((id) => id !== 's1' && id !== 's2');
      await cluster.waitAllOpen(others);
      for (const id of others) {
        expect(await authKeyCount(cluster, id)).toBeGreaterThan(0);
        const handle = await cluster.auth.open(id, { fence: 0 });
        expect(handle.state.creds.me?.id).toBe(paired.find((p) => p.sessionId === id)!.deviceJid);
      }
      // No reconnect loop for the logged-out sessions.
      const s2events = (await cluster.client.xrange(cluster.keys.events(), '-', '+')).filter(
        ([, f]) => f.includes('s2') && f.includes('session.status'),
      );
      expect(s2events.length).toBeLessThan(10);

      // The next start of s2 shows a fresh QR that links on the first scan.
      await cluster.client.publish(
        cluster.keys.workerChannel(s2rec.owner!),
        JSON.stringify({ type: 'restart', sessionId: 's2' }),
      );
      const qr = await until(
        async () => {
          const entries = await cluster.client.xrange(cluster.keys.events(), '-', '+');
          const hit = entries.reverse().find(([, f]) => f[1] === 's2' && f[3] === 'session.qr');
          return hit ? (JSON.parse(hit[1][7]!) as { qr: string }).qr : undefined;
        },
        { what: 'a fresh QR for s2', timeoutMs: 20_000 },
      );
      await cluster.sim.control.scan(s2.phone, qr);
      await until(async () => (await cluster.records.get('s2'))?.state === 'open', {
        what: 's2 open again',
        timeoutMs: 20_000,
      });
      expect(await authKeyCount(cluster, 's2')).toBeGreaterThan(0);
      expect((await cluster.sim.control.counters()).dualConnections).toBe(0);
    } finally {
      await cluster.stop();
    }
  }, 180_000);
});
