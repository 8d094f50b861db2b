import type { Logger } from '@wafleet/core';
import type { WafleetMetrics } from '@wafleet/metrics';
import type { LeaseKeeper, WorkerRegistry } from '@wafleet/ownership';
import { whenReady, type Keys, type RedisClient } from '@wafleet/redis';
import type { SessionHost } from './session-host.js';
import { parseWorkerCommand } from './worker-command.js';

export interface WorkerNodeOptions {
  workerId: string;
  capacity: number;
  version: string;
  logger: Logger;
  redis: RedisClient;
  /** A dedicated subscriber connection for this worker's notification channel. */
  subscriber: RedisClient;
  keys: Keys;
  registry: WorkerRegistry;
  keeper: LeaseKeeper;
  host: SessionHost;
  metrics: WafleetMetrics;
  heartbeatIntervalMs: number;
  reconcileIntervalMs: number;
  /** SIGTERM drain: sessions handed over per wave, longest wait per wave, whole drain budget. */
  drainBatch?: number;
  drainWaveMs?: number;
  drainBudgetMs?: number;
  /** METRICS_PER_SESSION: also export per-session series (session id label only). */
  perSessionMetrics?: boolean;
}

/**
 * The worker's loops: heartbeat, reconcile against the assignment map (on every notification and
 * periodically, so a lost notification only delays), and drain on shutdown.
 */
export class WorkerNode {
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private reconcileTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> | undefined;
  private again = false;
  private draining = false;
  private drainRequested = false;
  private readonly startedAt = Date.now();
  private registered = false;
  private lastHeartbeatOk = 0;

  constructor(private readonly o: WorkerNodeOptions) {}

  /** Readiness: registered and heartbeating recently. */
  get ready(): { ok: boolean; detail: string } {
    const age = Date.now() - this.lastHeartbeatOk;
    const ok = this.registered && age < this.o.heartbeatIntervalMs * 3;
    return { ok, detail: this.registered ? `last heartbeat ${age} ms ago` : 'not registered yet' };
  }

  async start(): Promise<void> {
    await this.heartbeat();
    this.o.keeper.start();
    const channel = this.o.keys.workerChannel(this.o.workerId);
    this.o.subscriber.on('message', (ch: string, payload: string) => {
      if (ch !== channel) return;
      if (payload.startsWith('{')) void this.command(payload);
      else this.scheduleReconcile();
    });
    await whenReady(this.o.subscriber);
    await this.o.subscriber.subscribe(channel);
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.o.heartbeatIntervalMs);
    this.reconcileTimer = setInterval(() => this.scheduleReconcile(), this.o.reconcileIntervalMs);
    this.scheduleReconcile();
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.o.registry.heartbeat({
        workerId: this.o.workerId,
        capacity: this.o.capacity,
        owned: this.o.host.size,
        version: this.o.version,
        startedAt: this.startedAt,
        draining: this.draining || this.drainRequested,
      });
      this.registered = true;
      this.lastHeartbeatOk = Date.now();
    } catch (err) {
      this.o.logger.warn({ err: { message: (err as Error).message } }, 'heartbeat failed');
    }
    this.o.metrics.ownedSessions.set(this.o.host.size);
    this.o.metrics.sessions.reset();
    for (const { kind, state, count } of this.o.host.states())
      this.o.metrics.sessions.set({ state, kind }, count);
    this.setLastConnected();
  }

  /** Oldest last-open time per state (so `time() - x` is the longest a session in it has been down). */
  private setLastConnected(): void {
    const m = this.o.metrics;
    m.lastConnected.reset();
    if (this.o.perSessionMetrics) m.sessionLastConnectedBySession.reset();
    const oldest = new Map<string, number>();
    for (const s of this.o.host.lastOpen()) {
      const seconds = s.lastOpenMs === undefined ? 0 : Math.floor(s.lastOpenMs / 1000);
      if (this.o.perSessionMetrics)
        m.sessionLastConnectedBySession.set({ session_id: s.sessionId }, seconds);
      if (seconds === 0) continue;
      const current = oldest.get(s.state);
      if (current === undefined || seconds < current) oldest.set(s.state, seconds);
    }
    for (const [state, seconds] of oldest) m.lastConnected.set({ state }, seconds);
  }

  /** Coalesces reconcile requests: one runs at a time, and one more follows if asked meanwhile. */
  scheduleReconcile(): void {
    if (this.draining) return;
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = this.reconcile()
      .catch((err: unknown) =>
        this.o.logger.warn({ err: { message: (err as Error).message } }, 'reconcile failed'),
      )
      .finally(() => {
        this.reconciling = undefined;
        if (this.again) {
          this.again = false;
          this.scheduleReconcile();
        }
      });
  }

  private async reconcile(): Promise<void> {
    const map = await this.o.redis.hgetall(this.o.keys.assignments());
    const mine = new Set<string>();
    for (const [sessionId, workerId] of Object.entries(map))
      if (workerId === this.o.workerId) mine.add(sessionId);
    await this.o.host.reconcile(mine);
  }

  /** A command for one owned session, published by the api on this worker's channel. */
  private async command(payload: string): Promise<void> {
    const parsed = parseWorkerCommand(payload);
    if (!parsed.ok) {
      this.o.logger.warn({ problem: parsed.problem }, 'ignored a malformed worker command');
      return;
    }
    const command = parsed.command;
    if (command.type === 'drain') {
      await this.requestDrain();
      return;
    }
    await this.o.host
      .command(command)
      .catch((err: unknown) =>
        this.o.logger.warn(
          { err, type: command.type, sessionId: command.sessionId },
          'worker command failed',
        ),
      );
  }

  /**
   * Drain on request (the process keeps running): report `draining` so the coordinator moves this
   * worker's sessions away a few per tick; each is released gracefully as it is unassigned.
   */
  async requestDrain(): Promise<void> {
    if (this.drainRequested) return;
    this.drainRequested = true;
    this.o.logger.info('drain requested: handing sessions back');
    this.o.host.stopAccepting();
    await this.heartbeat();
  }

  /** SIGTERM: stop taking work, close sockets (no logout), flush creds, release leases, deregister. */
  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    clearInterval(this.reconcileTimer);
    await this.reconciling?.catch(() => undefined);
    // Tell the coordinator first, so it reassigns while we hand sessions back.
    await this.heartbeat();
    await this.o.host.handOffAll({
      batch: this.o.drainBatch ?? 8,
      waveMs: this.o.drainWaveMs ?? 3000,
      deadline: Date.now() + (this.o.drainBudgetMs ?? 5000),
      // Another live worker that takes sessions; without one, waves would only wait.
      hasPeers: async () =>
        (await this.o.registry.liveWorkers()).some(
          (w) => w.workerId !== this.o.workerId && !w.draining && w.capacity > 0,
        ),
    });
    this.o.keeper.stop();
    clearInterval(this.heartbeatTimer);
    await this.o.registry.deregister(this.o.workerId).catch(() => undefined);
    await this.o.subscriber.unsubscribe().catch(() => undefined);
  }
}
