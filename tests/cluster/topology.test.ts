import { describe, expect, it } from 'vitest';
import { WafleetClient } from '@wafleet/client';
import { TestCluster } from '@wafleet/cluster-harness';
import { join } from 'node:path';
import { repoRoot, spawnProcess, until } from '@wafleet/test-support';

async function metric(baseUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.split(' ').pop());
  return sum;
}

describe('cluster topology changes', () => {
  it('a 4th worker joins: bounded moves per tick, no session moves twice, 0 dual connections', async () => {
    const cluster = await TestCluster.start({ workers: 3, env: { REBALANCE_MAX_MOVES: '2' } });
    try {
      const ids = (await cluster.addPairedSessions(30)).map((s) => s.sessionId);
      await cluster.waitAllOpen(ids);
      const owners = new Map((await cluster.records.list()).map((r) => [r.id, r.owner]));
      const moves = new Map<string, number>();
      const linesBefore = cluster.coordinators[0]!.lines.length;
      await cluster.addWorker();
      await until(
        async () => {
          const recs = await cluster.records.list();
          for (const r of recs) {
            if (r.owner && owners.get(r.id) !== r.owner) {
              moves.set(r.id, (moves.get(r.id) ?? 0) + 1);
              owners.set(r.id, r.owner);
            }
          }
          const counts = new Map<string, number>();
          for (const r of recs)
            if (r.state === 'open' && r.owner) counts.set(r.owner, (counts.get(r.owner) ?? 0) + 1);
          const c = [...counts.values()];
          return (
            c.length === 4 &&
            recs.every((r) => r.state === 'open') &&
            Math.max(...c) - Math.min(...c) <= 1
          );
        },
        { timeoutMs: 60_000, intervalMs: 50, what: 'balanced over 4 workers' },
      );
      expect([...moves.values()].every((n) => n === 1)).toBe(true);
      expect(moves.size).toBeGreaterThanOrEqual(7);
      expect(moves.size).toBeLessThanOrEqual(8);
      const ticks = cluster.coordinators[0]!.lines.slice(linesBefore)
        .filter((l) => l.includes('"assignments updated"'))
        .map((l) => JSON.parse(l) as { byReason: Record<string, number> });
      for (const t of ticks) expect(t.byReason.rebalance ?? 0).toBeLessThanOrEqual(2);
      expect((await cluster.sim.control.counters()).dualConnections).toBe(0);
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  it('zombie: a SIGSTOPped worker past its TTL closes its sockets itself after SIGCONT; its writes are fenced', async () => {
    const cluster = await TestCluster.start({ workers: 2 });
    try {
      const paired = await cluster.addPairedSessions(10);
      const ids = paired.map((s) => s.sessionId);
      const before = await cluster.waitAllOpen(ids);
      const zombie = cluster.workers.find((w) => w.name === 'worker-1')!;
      const moved = before.filter((r) => r.owner === 'worker-1').map((r) => r.id);
      expect(moved.length).toBeGreaterThan(0);
      const stoppedAt = Date.now();
      zombie.signal('SIGSTOP');
      // Connections stay open, so the coordinator must wait for the TTL, not take the fast path.
      await cluster.waitAllOpen(ids, { notOn: ['worker-1'], timeoutMs: 30_000 });
      expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(Number(cluster.env.LEASE_TTL_MS) - 500);
      const linesBefore = zombie.lines.length;
      zombie.signal('SIGCONT');
      await until(
        () =>
          zombie.lines.slice(linesBefore).filter((l) => l.includes('lease lost')).length >=
          moved.length,
        {
          what: 'the zombie to give up every lease',
          timeoutMs: 15_000,
        },
      );
      // A write with the zombie's (old) fence is refused in Redis. The coordinator may be moving
      // the session back onto the resumed worker right now (no lease for a moment): wait for one.
      const lease = await until(() => cluster.client.get(cluster.keys.lease(moved[0]!)), {
        what: `a lease on ${moved[0]}`,
        timeoutMs: 15_000,
      });
      const newFence = Number(lease.split(':').pop());
      const stale = await cluster.auth.open(moved[0]!, { fence: newFence - 1 });
      await expect(stale.saveCreds()).rejects.toMatchObject({ code: 'FENCED_OUT' });
      const refused = await metric(zombie.baseUrl, 'wafleet_fence_rejections_total');
      process.stdout.write(
        `zombie: ${moved.length} sessions moved; writes refused by the fence after resume: ${refused}\n`,
      );
      // Sessions stay healthy: all open (the coordinator may rebalance some back onto the resumed
      // worker, under new fences), and messages both ways decrypt on whichever worker owns them.
      await cluster.waitAllOpen(ids);
      const target = paired.find((p) => p.sessionId === moved[0])!;
      const contact = await cluster.sim.control.createContact();
      const inbound = await cluster.sim.control.sendFromContact(
        contact.number,
        target.phone,
        'after the zombie',
      );
      await until(
        async () => {
          const entries = await cluster.client.xrange(cluster.keys.events(), '-', '+');
          return entries.some(
            ([, f]) =>
              f[1] === target.sessionId &&
              f[3] === 'message.received' &&
              f[7]!.includes(inbound.id),
          );
        },
        { what: 'inbound message decrypted by the current owner' },
      );
      const client = new WafleetClient({ redisUrl: cluster.redis.url, prefix: cluster.prefix });
      try {
        const { messageId } = await client.send(target.sessionId, `+${contact.number}`, {
          type: 'text',
          text: 'reply after the zombie',
        });
        const recorded = await until(
          async () =>
            (await cluster.sim.control.messages(contact.number)).find((m) => m.id === messageId),
          { what: 'the reply decrypted by the contact' },
        );
        expect(recorded.text).toBe('reply after the zombie');
        expect((await cluster.sim.control.counters()).decryptErrors).toBe(0);
      } finally {
        await client.close();
      }
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  it('rolling deploy: two workers started at once share the sessions, one owner each; a duplicate worker id is refused', async () => {
    const cluster = await TestCluster.start({ workers: 0 });
    try {
      const ids = (await cluster.addPairedSessions(10)).map((s) => s.sessionId);
      await Promise.all([
        cluster.addWorker({ INSTANCE_ID: 'roll-a' }),
        cluster.addWorker({ INSTANCE_ID: 'roll-b' }),
      ]);
      const recs = await cluster.waitAllOpen(ids);
      expect(new Set(recs.map((r) => r.owner))).toEqual(new Set(['roll-a', 'roll-b']));
      expect((await cluster.sim.control.counters()).dualConnections).toBe(0);
      const dup = spawnProcess(
        'dup',
        process.execPath,
        [join(repoRoot, 'apps/worker/dist/main.js')],
        {
          env: { ...cluster.env, INSTANCE_ID: 'roll-a', HTTP_PORT: '0', HTTP_HOST: '127.0.0.1' },
        },
      );
      expect((await dup.exited).code).toBe(1);
      expect(dup.lines.join('\n')).toMatch(
        /another process is connected to Redis as worker \\"roll-a\\"/,
      );
      await cluster.waitAllOpen(ids);
      expect((await cluster.sim.control.counters()).dualConnections).toBe(0);
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  it('coordinator leader SIGKILLed: the standby leads within its lease TTL and handles a later worker kill', async () => {
    const cluster = await TestCluster.start({ workers: 2, coordinators: 2 });
    try {
      const ids = (await cluster.addPairedSessions(6)).map((s) => s.sessionId);
      await cluster.waitAllOpen(ids);
      const leaderValue = (await cluster.client.get(cluster.keys.leader()))!;
      const leader = cluster.coordinators.find((c) => leaderValue.startsWith(`${c.name}:`))!;
      const standby = cluster.coordinators.find((c) => c !== leader)!;
      expect(await metric(leader.baseUrl, 'wafleet_coordinator_leader')).toBe(1);
      expect(await metric(standby.baseUrl, 'wafleet_coordinator_leader')).toBe(0);
      const killedAt = Date.now();
      leader.signal('SIGKILL');
      await until(async () => (await metric(standby.baseUrl, 'wafleet_coordinator_leader')) === 1, {
        what: 'standby leads',
        timeoutMs: 10_000,
      });
      expect(Date.now() - killedAt).toBeLessThanOrEqual(Number(cluster.env.LEADER_TTL_MS) + 1000);
      const victim = cluster.workers[0]!;
      victim.signal('SIGKILL');
      await cluster.waitAllOpen(ids, { notOn: [victim.name] });
      expect((await cluster.sim.control.counters()).dualConnections).toBe(0);
    } finally {
      await cluster.stop();
    }
  }, 120_000);

  it('drain on request: the worker hands every session to the others and stays up', async () => {
    const cluster = await TestCluster.start({ workers: 2 });
    try {
      const ids = (await cluster.addPairedSessions(8)).map((s) => s.sessionId);
      const before = await cluster.waitAllOpen(ids);
      expect(before.some((r) => r.owner === 'worker-1')).toBe(true);
      await cluster.client.publish(
        cluster.keys.workerChannel('worker-1'),
        JSON.stringify({ type: 'drain' }),
      );
      await cluster.waitAllOpen(ids, { notOn: ['worker-1'] });
      const drained = cluster.workers.find((w) => w.name === 'worker-1')!;
      expect(drained.hasExited).toBe(false);
      await until(
        async () => (await metric(drained.baseUrl, 'wafleet_worker_owned_sessions')) === 0,
        { what: 'drained worker owns nothing' },
      );
      expect((await cluster.sim.control.counters()).dualConnections).toBe(0);
    } finally {
      await cluster.stop();
    }
  }, 120_000);
});
