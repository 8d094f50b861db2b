import { describe, expect, it } from 'vitest';
import { TestCluster } from '@wafleet/cluster-harness';
import { until } from '@wafleet/test-support';

async function latestQr(
  cluster: TestCluster,
  sessionId: string,
  after = '-',
): Promise<{ id: string; qr: string } | undefined> {
  const entries = await cluster.client.xrange(cluster.keys.events(), after, '+');
  const hit = entries.reverse().find(([, f]) => f[1] === sessionId && f[3] === 'session.qr');
  return hit ? { id: hit[0], qr: (JSON.parse(hit[1][7]!) as { qr: string }).qr } : undefined;
}

describe('auth state in the cluster', () => {
  it('a wrong encryption key puts the session in auth_error naming ENCRYPTION_KEYS: no crash loop, no re-pairing', async () => {
    const cluster = await TestCluster.start({ workers: 0 });
    try {
      const [s] = await cluster.addPairedSessions(1);
      const wrong = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
      const bad = await cluster.addWorker({ INSTANCE_ID: 'wrong-key', ENCRYPTION_KEYS: wrong });
      const rec = await until(
        async () => {
          const r = await cluster.records.get(s!.sessionId);
          return r?.state === 'auth_error' ? r : undefined;
        },
        { what: 'auth_error', timeoutMs: 20_000 },
      );
      expect(rec.lastReason).toMatch(/ENCRYPTION_KEYS/);
      expect(await latestQr(cluster, s!.sessionId)).toBeUndefined();
      expect((await cluster.sim.control.counters()).registrations).toBe(0);
      // Stays put: the process is alive and the session does not cycle.
      const statusEvents = async () =>
        (await cluster.client.xrange(cluster.keys.events(), '-', '+')).filter(
          ([, f]) => f[1] === s!.sessionId && f[3] === 'session.status',
        ).length;
      const n = await statusEvents();
      await until(async () => (await fetch(`${bad.baseUrl}/healthz`)).ok);
      expect(bad.hasExited).toBe(false);
      // The creds are still there, untouched: the right key opens the session again.
      expect(await cluster.auth.exists(s!.sessionId)).toBe(true);
      await bad.stop();
      cluster.workers.splice(cluster.workers.indexOf(bad), 1);
      await cluster.addWorker({ INSTANCE_ID: 'right-key' });
      await cluster.waitAllOpen([s!.sessionId]);
      expect(await statusEvents()).toBeGreaterThan(n);
      expect((await cluster.sim.control.counters()).registrations).toBe(0);
    } finally {
      await cluster.stop();
    }
  }, 90_000);

  it('case 2: a worker killed right after pair-success restarts fully paired or cleanly unpaired, never half', async () => {
    const cluster = await TestCluster.start({ workers: 1 });
    try {
      for (const [i, delayMs] of [0, 25, 100].entries()) {
        const sessionId = `fresh${i}`;
        const phone = await cluster.sim.control.createPhone();
        await cluster.records.create({ id: sessionId, kind: 'baileys' });
        const qr = await until(() => latestQr(cluster, sessionId), {
          what: 'a QR',
          timeoutMs: 20_000,
        });
        const worker = cluster.workers[0]!;
        await cluster.sim.control.scan(phone.number, qr.qr);
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        worker.signal('SIGKILL');
        await worker.exited;
        cluster.workers.shift();
        await cluster.addWorker({ INSTANCE_ID: `after-kill-${i}` });
        // Either it logs in with the creds that were written, or it is unpaired and shows a new QR.
        const outcome = await until(
          async () => {
            const r = await cluster.records.get(sessionId);
            if (r?.state === 'open' && r.owner === `after-kill-${i}`) return 'paired';
            const again = await latestQr(cluster, sessionId, `(${qr.id}`);
            return again ? 'unpaired' : undefined;
          },
          {
            what: `fully paired or cleanly unpaired (kill after ${delayMs} ms)`,
            timeoutMs: 30_000,
          },
        );
        if (outcome === 'unpaired') {
          const again = (await latestQr(cluster, sessionId, `(${qr.id}`))!;
          await cluster.sim.control.scan(phone.number, again.qr);
        }
        await cluster.waitAllOpen([sessionId], { timeoutMs: 30_000 });
        process.stdout.write(`case 2, kill after ${delayMs} ms: ${outcome}\n`);
      }
      expect((await cluster.sim.control.counters()).dualConnections).toBe(0);
    } finally {
      await cluster.stop();
    }
  }, 180_000);
});
