import type { Logger } from '@wafleet/core';
import type { WafleetMetrics } from '@wafleet/metrics';
import {
  fastFailoverVerdict,
  planAssignments,
  readFailoverEvidence,
  serverTimeMs,
  type LeaderElection,
  type Move,
  type SessionLease,
  type WorkerRegistry,
} from '@wafleet/ownership';
import type { Keys, RedisClient, SessionRecords } from '@wafleet/redis';

export interface CoordinatorNodeOptions {
  logger: Logger;
  redis: RedisClient;
  keys: Keys;
  records: SessionRecords;
  registry: WorkerRegistry;
  lease: SessionLease;
  election: LeaderElection;
  metrics: WafleetMetrics;
  tickMs: number;
  heartbeatIntervalMs: number;
  deadAfterMs: number;
  maxMovesPerTick: number;
}

/**
 * The leader's loop: every tick, plan who owns which session (pure `planAssignments`), write the
 * changes to the assignment map and notify the workers concerned. Dead workers' leases are expired
 * at once when Redis shows the process is gone (fast path); otherwise their TTL runs out.
 */
export class CoordinatorNode {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  /** When each dead worker was first seen dead, for the failover duration histogram. */
  private readonly deadSince = new Map<string, number>();

  constructor(private readonly o: CoordinatorNodeOptions) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.o.tickMs);
  }

  /** Runs a tick now unless one is running. */
  kick(): void {
    if (this.stopped || this.running || !this.o.election.isLeader) return;
    this.running = this.tick()
      .catch((err: unknown) =>
        this.o.logger.warn({ err: { message: (err as Error).message } }, 'coordinator tick failed'),
      )
      .finally(() => {
        this.running = undefined;
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    const [records, workers, owners, now] = await Promise.all([
      this.o.records.list(),
      this.o.registry.listWorkers(),
      this.o.redis.hgetall(this.o.keys.assignments()),
      serverTimeMs(this.o.redis),
    ]);
    let live = workers.filter(
      (w) => now - w.lastHeartbeatMs <= this.o.deadAfterMs && w.capacity > 0,
    );
    let liveIds = new Set(live.map((w) => w.workerId));
    const ownerMap = new Map(Object.entries(owners));

    // Owners that are not live, or whose heartbeat is already two intervals old (the fast path's
    // own threshold, shorter than the dead-after window): try the fast path.
    const stale = new Set(
      workers
        .filter((w) => now - w.lastHeartbeatMs >= 2 * this.o.heartbeatIntervalMs)
        .map((w) => w.workerId),
    );
    const byDeadWorker = new Map<string, string[]>();
    for (const [sessionId, workerId] of ownerMap) {
      if (!liveIds.has(workerId) || stale.has(workerId))
        byDeadWorker.set(workerId, [...(byDeadWorker.get(workerId) ?? []), sessionId]);
    }
    if (byDeadWorker.size > 0) {
      // A process shown gone is dead now, whatever the dead-after window says.
      const gone = await this.expireDead(byDeadWorker, workers, now);
      if (gone.size > 0) {
        live = live.filter((w) => !gone.has(w.workerId));
        liveIds = new Set(live.map((w) => w.workerId));
      }
    }

    const plan = planAssignments({
      sessions: records.map((r) => ({ id: r.id, desired: r.desired, idle: r.state !== 'open' })),
      workers: live.map((w) => ({ id: w.workerId, capacity: w.capacity, draining: w.draining })),
      owners: ownerMap,
      maxMovesPerTick: this.o.maxMovesPerTick,
    });
    if (plan.moves.length === 0) return;
    await this.apply(plan.moves);
    const failovers = plan.moves.filter((m) => m.reason === 'failover');
    if (failovers.length > 0) {
      this.o.metrics.failovers.inc({ path: 'reassign' }, failovers.length);
      for (const m of failovers) {
        const since = m.from ? this.deadSince.get(m.from) : undefined;
        if (since !== undefined)
          this.o.metrics.failoverDuration.observe((Date.now() - since) / 1000);
      }
    }
    for (const id of this.deadSince.keys())
      if (![...ownerMap.values()].includes(id) || liveIds.has(id)) this.deadSince.delete(id);
    this.o.logger.info(
      {
        moves: plan.moves.length,
        byReason: countBy(plan.moves),
        unassigned: plan.unassigned.length,
        pending: plan.pendingMoves,
      },
      'assignments updated',
    );
  }

  private async expireDead(
    byWorker: Map<string, string[]>,
    workers: { workerId: string; lastHeartbeatMs: number }[],
    now: number,
  ): Promise<Set<string>> {
    const gone = new Set<string>();
    const evidence = await readFailoverEvidence(this.o.redis);
    for (const [workerId, sessionIds] of byWorker) {
      const record = workers.find((w) => w.workerId === workerId);
      const verdict = fastFailoverVerdict({
        heartbeatAgeMs: record ? now - record.lastHeartbeatMs : Infinity,
        heartbeatIntervalMs: this.o.heartbeatIntervalMs,
        workerHasConnections: evidence.clientNames.has(workerId),
        redisUptimeMs: evidence.redisUptimeMs,
        observerConnectedForMs: evidence.observerConnectedForMs,
      });
      if (verdict === 'alive') continue;
      if (!this.deadSince.has(workerId)) this.deadSince.set(workerId, Date.now());
      if (verdict !== 'expire-now') continue;
      gone.add(workerId);
      const expired = await this.o.lease.expireLeasesOf(workerId, sessionIds);
      if (expired.length > 0) {
        this.o.metrics.failovers.inc({ path: 'fast' }, expired.length);
        this.o.logger.warn(
          { workerId, expired: expired.length },
          'worker process is gone: expired its leases at once',
        );
      }
    }
    return gone;
  }

  private async apply(moves: Move[]): Promise<void> {
    const pipeline = this.o.redis.pipeline();
    const notify = new Set<string>();
    for (const m of moves) {
      if (m.to) pipeline.hset(this.o.keys.assignments(), m.sessionId, m.to);
      else pipeline.hdel(this.o.keys.assignments(), m.sessionId);
      if (m.from) notify.add(m.from);
      if (m.to) notify.add(m.to);
    }
    await pipeline.exec();
    // The old owner first learns it lost the session and releases; the new one acquires once free.
    await Promise.all(
      [...notify].map((w) => this.o.redis.publish(this.o.keys.workerChannel(w), 'reconcile')),
    );
  }
}

function countBy(moves: Move[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of moves) out[m.reason] = (out[m.reason] ?? 0) + 1;
  return out;
}
