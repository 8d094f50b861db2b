import type { AuthStateStore } from '@wafleet/auth-store';
import type { CloudSessionStore } from '@wafleet/cloud-api';
import type { Logger } from '@wafleet/core';
import type { WafleetMetrics } from '@wafleet/metrics';
import type { LeaseKeeper } from '@wafleet/ownership';
import {
  publishSessionEvent,
  type Keys,
  type RedisClient,
  type SessionRecords,
} from '@wafleet/redis';
import {
  recordMessageStatus,
  SEND_RATE_PRESETS,
  SessionSendConsumer,
  type SendRateLimit,
} from '@wafleet/queue';
import { SessionRunner, type SessionRunnerOptions, type SessionState } from '@wafleet/session';
import { BaileysSendTransport } from './baileys-transport.js';
import { CloudSendTransport, CloudSessionRunner } from './cloud-session.js';
import type { ConnectLimiter } from './connect-limiter.js';
import type { SessionCommand } from './worker-command.js';

/** One owned session: its lease fence and its runner. */
export interface HostedSession {
  sessionId: string;
  fence: number;
  /** A Baileys socket runner, or the Graph client of a Cloud API session. */
  runner: SessionRunner | CloudSessionRunner;
  /** Consumes the session's send queue while the session is open. */
  consumer: SessionSendConsumer;
  /** The session's own send rate the consumer was built with (null: the default). */
  rate: SendRateLimit | null;
  /** Monotonic start of the ownership, for metrics. */
  since: number;
  /** Unix ms of the last time the session reached open while owned here, for metrics. */
  lastOpenMs?: number;
}

export interface SessionHostOptions {
  workerId: string;
  logger: Logger;
  redis: RedisClient;
  keys: Keys;
  records: SessionRecords;
  authStore: AuthStateStore;
  keeper: LeaseKeeper;
  limiter: ConnectLimiter;
  metrics: WafleetMetrics;
  socket: SessionRunnerOptions['socket'];
  /** One `blocking`-role connection shared by every send consumer of this worker. */
  queueConnection: RedisClient;
  /** Default per-session send rate (sessions may override it in their settings). */
  defaultRateLimit?: SendRateLimit;
  ackTimeoutMs?: number;
  policy?: SessionRunnerOptions['policy'];
  /** Hook for the send pipeline: called when a session opens or stops being open, and when it goes away. */
  onSessionOpen?: (hosted: HostedSession) => void;
  onSessionClosed?: (sessionId: string) => void;
  /** Cloud API sessions (kind `cloud`); without it this worker leaves them to others. */
  cloud?: {
    store: CloudSessionStore;
    tokenCheckIntervalMs: number;
    refreshAheadMs: number;
    warnAheadMs: number;
  };
}

/**
 * The sessions this worker owns. A session's socket exists only while this worker holds its
 * lease: acquire → start runner; lose or give up the lease → stop the runner first.
 */
export class SessionHost {
  private readonly sessions = new Map<string, HostedSession>();
  private readonly acquiring = new Set<string>();
  private readonly retryTimers = new Map<string, NodeJS.Timeout>();
  private readonly cloudExpiry = new Map<string, number>();
  private accepting = true;

  constructor(private readonly o: SessionHostOptions) {}

  /** Ids owned now. */
  ids(): string[] {
    return [...this.sessions.keys()];
  }

  get(sessionId: string): HostedSession | undefined {
    return this.sessions.get(sessionId);
  }

  get size(): number {
    return this.sessions.size;
  }

  /** State and last time open (unix ms; undefined if never open while owned here) of each owned session, for metrics. */
  lastOpen(): { sessionId: string; state: SessionState; lastOpenMs: number | undefined }[] {
    return [...this.sessions.values()].map((h) => ({
      sessionId: h.sessionId,
      state: h.runner.state,
      lastOpenMs: h.lastOpenMs,
    }));
  }

  /** Owned sessions counted by kind and state, for metrics. */
  states(): { kind: 'baileys' | 'cloud'; state: SessionState; count: number }[] {
    const counts = new Map<
      string,
      { kind: 'baileys' | 'cloud'; state: SessionState; count: number }
    >();
    for (const h of this.sessions.values()) {
      const kind = h.runner instanceof CloudSessionRunner ? 'cloud' : 'baileys';
      const key = `${kind}:${h.runner.state}`;
      const entry = counts.get(key) ?? { kind, state: h.runner.state, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
    return [...counts.values()];
  }

  /** Brings the owned set in line with `assigned`: start what is new, stop and release what is gone. */
  async reconcile(assigned: ReadonlySet<string>): Promise<void> {
    const releases: Promise<void>[] = [];
    for (const id of this.sessions.keys())
      if (!assigned.has(id)) releases.push(this.release(id, 'unassigned'));
    await Promise.all(releases);
    if (!this.accepting) return;
    for (const id of assigned) {
      if (!this.sessions.has(id) && !this.acquiring.has(id) && !this.retryTimers.has(id))
        void this.acquire(id, assigned);
    }
  }

  private async acquire(sessionId: string, assigned: ReadonlySet<string>): Promise<void> {
    this.acquiring.add(sessionId);
    const log = this.o.logger.child({ sessionId });
    try {
      const record = await this.o.records.get(sessionId);
      if (!record || record.desired !== 'running') return;
      if (record.kind !== 'baileys' && !(record.kind === 'cloud' && this.o.cloud)) return;
      const result = await this.o.keeper.acquire(sessionId);
      if (!result.acquired) {
        // Never steal: the previous owner releases it (graceful) or its TTL runs out (vanished).
        const wait = Math.min(Math.max(result.ttlMs, 50), 250);
        log.debug(
          { heldBy: result.heldBy, ttlMs: result.ttlMs },
          'lease held by another worker; waiting',
        );
        this.retryTimers.set(
          sessionId,
          setTimeout(() => {
            this.retryTimers.delete(sessionId);
            if (this.accepting && assigned.has(sessionId)) void this.acquire(sessionId, assigned);
          }, wait),
        );
        return;
      }
      this.o.metrics.leaseAcquisitions.inc();
      if (!this.accepting) {
        await this.o.keeper.release(sessionId);
        return;
      }
      const fence = result.fence;
      const runner =
        record.kind === 'cloud'
          ? this.createCloudRunner(sessionId, fence)
          : this.createRunner(sessionId, fence);
      const consumer = this.createConsumer(sessionId, fence, runner, record.settings);
      const hosted: HostedSession = {
        sessionId,
        fence,
        runner,
        consumer,
        rate: rateLimitFrom(record.settings) ?? null,
        since: performance.now(),
      };
      this.sessions.set(sessionId, hosted);
      log.info({ fence }, 'owning session');
      await consumer.start();
      await this.o.limiter.run(async () => {
        if (this.sessions.get(sessionId) !== hosted) return;
        await runner.start();
      });
    } catch (err) {
      log.error({ err }, 'could not take over session; will retry on the next reconcile');
    } finally {
      this.acquiring.delete(sessionId);
    }
  }

  private createConsumer(
    sessionId: string,
    fence: number,
    runner: SessionRunner | CloudSessionRunner,
    settings: Record<string, unknown>,
  ): SessionSendConsumer {
    const cloud = runner instanceof CloudSessionRunner;
    return new SessionSendConsumer({
      sessionId,
      keys: this.o.keys,
      connection: this.o.queueConnection,
      lease: { workerId: this.o.workerId, fence },
      transport: cloud ? new CloudSendTransport(runner) : new BaileysSendTransport(runner),
      // Cloud API numbers: Graph's default throughput (80/s); the env default is for unofficial ones.
      rateLimit:
        rateLimitFrom(settings) ??
        (cloud ? SEND_RATE_PRESETS.cloud : undefined) ??
        this.o.defaultRateLimit ??
        SEND_RATE_PRESETS.unofficial,
      ...(this.o.ackTimeoutMs ? { ackTimeoutMs: this.o.ackTimeoutMs } : {}),
      fenceCheck: () => this.o.keeper.holds(sessionId),
      logger: this.o.logger.child({ sessionId, part: 'send' }),
      onEvent: (event) => {
        if (event.type === 'message.sent') {
          this.o.metrics.sendJobs.inc({ outcome: 'sent', reason: 'none' });
          if (event.enqueuedAt > 0)
            this.o.metrics.sendLatency.observe(Math.max(0, event.sentAt - event.enqueuedAt) / 1000);
          void publishSessionEvent(this.o.redis, this.o.keys, {
            sessionId,
            type: 'message.sent',
            data: {
              jobId: event.jobId,
              messageId: event.messageId,
              sentAt: event.sentAt,
              attempts: event.attemptsMade,
              ...(event.providerMessageId ? { providerMessageId: event.providerMessageId } : {}),
            },
          }).catch(() => undefined);
        } else if (event.type === 'message.failed') {
          this.o.metrics.sendJobs.inc({ outcome: 'failed', reason: event.reason });
          void publishSessionEvent(this.o.redis, this.o.keys, {
            sessionId,
            type: 'message.failed',
            data: {
              jobId: event.jobId,
              messageId: event.messageId,
              reason: event.reason,
              error: event.error,
              attempts: event.attemptsMade,
            },
          }).catch(() => undefined);
        } else if (event.type === 'consumer.fenced_out') {
          this.o.metrics.fenceRejections.inc({ op: 'job' });
        }
      },
    });
  }

  private publisher(sessionId: string, fence: number) {
    return (type: string, data: Record<string, unknown>) =>
      publishSessionEvent(this.o.redis, this.o.keys, {
        sessionId,
        type,
        data: { ...data, fence },
      }).catch((err: unknown) =>
        this.o.logger.warn({ err, sessionId, type }, 'could not publish session event'),
      );
  }

  /** Status changes of either kind of session: metrics, the fenced session record, the event stream. */
  private wireStatus(
    sessionId: string,
    fence: number,
    runner: SessionRunner | CloudSessionRunner,
  ): void {
    const publish = this.publisher(sessionId, fence);
    const kind = runner instanceof CloudSessionRunner ? 'cloud' : 'baileys';
    runner.on('status', (e) => {
      if (e.state === 'open') {
        this.o.metrics.sessionConnects.inc({ kind });
        const owned = this.sessions.get(sessionId);
        if (owned?.runner === runner) owned.lastOpenMs = Date.now();
      }
      if (e.code !== undefined && e.state !== 'open')
        this.o.metrics.sessionDisconnects.inc({ code: String(e.code) });
      if (e.state === 'reconnecting') this.o.metrics.reconnectAttempts.inc();
      void this.o.records
        .setStatus(
          sessionId,
          {
            state: e.state,
            since: e.since,
            owner: this.o.workerId,
            ...(e.code !== undefined ? { code: e.code } : {}),
            ...(e.reason !== undefined ? { reason: e.reason } : {}),
            ...(e.me ? { me: e.me } : {}),
          },
          // Fenced: once the lease is someone else's, this worker's reports are dropped.
          { leaseValue: `${this.o.workerId}:${fence}` },
        )
        .catch((err: unknown) => this.o.logger.warn({ err, sessionId }, 'could not record status'));
      void publish('session.status', {
        state: e.state,
        previous: e.previous,
        code: e.code,
        reason: e.reason,
        me: e.me,
        worker: this.o.workerId,
      });
      const hosted = this.sessions.get(sessionId);
      if (hosted?.runner === runner) {
        if (e.state === 'open') this.o.onSessionOpen?.(hosted);
        else if (e.previous === 'open') this.o.onSessionClosed?.(sessionId);
      }
    });
  }

  private createCloudRunner(sessionId: string, fence: number): CloudSessionRunner {
    const cloud = this.o.cloud!;
    const publish = this.publisher(sessionId, fence);
    const runner = new CloudSessionRunner({
      sessionId,
      store: cloud.store,
      logger: this.o.logger,
      tokenCheckIntervalMs: cloud.tokenCheckIntervalMs,
      refreshAheadMs: cloud.refreshAheadMs,
      warnAheadMs: cloud.warnAheadMs,
      onCall: (info) =>
        this.o.metrics.cloudApiCalls.inc({
          status: String(info.httpStatus),
          code: String(info.graphCode ?? 0),
        }),
      onTokenEvent: (type, data) => void publish(type, data),
      onTokenExpiry: (expiresAtMs) => {
        this.cloudExpiry.set(sessionId, expiresAtMs);
        this.updateCloudExpiry();
      },
    });
    this.wireStatus(sessionId, fence, runner);
    return runner;
  }

  /** The earliest known token expiry over this worker's cloud sessions (0 = none expires). */
  private updateCloudExpiry(): void {
    const dated = [...this.cloudExpiry.entries()]
      .filter(([id, ms]) => ms > 0 && this.sessions.has(id))
      .map(([, ms]) => ms);
    this.o.metrics.cloudTokenExpiry.set(dated.length ? Math.min(...dated) / 1000 : 0);
  }

  private createRunner(sessionId: string, fence: number): SessionRunner {
    const runner = new SessionRunner({
      sessionId,
      logger: this.o.logger,
      socket: this.o.socket,
      ...(this.o.policy ? { policy: this.o.policy } : {}),
      openAuth: () =>
        this.o.authStore.open(sessionId, {
          fence,
          onFencedOut: (err) => {
            this.o.metrics.fenceRejections.inc({ op: 'auth' });
            runner.fenceOut(err);
          },
        }),
    });
    const publish = this.publisher(sessionId, fence);
    this.wireStatus(sessionId, fence, runner);
    // The QR string is a credential: it goes only to the event stream (read by authenticated callers), never to logs.
    runner.on('qr', (e) => void publish('session.qr', { qr: e.qr }));
    runner.on('pairing_code', (e) => void publish('session.pairing_code', { code: e.code }));
    runner.on(
      'message',
      (m) =>
        void publish('message.received', {
          id: m.message.key.id,
          from: m.message.key.remoteJid,
          fromMe: m.message.key.fromMe ?? false,
          upsertType: m.upsertType,
          timestamp: Number(m.message.messageTimestamp ?? 0),
          message: m.message.message ?? null,
        }),
    );
    runner.on('receipt', (r) => {
      void publish('message.status', {
        messageId: r.messageId,
        to: r.remoteJid,
        status: r.status,
        error: r.error,
      });
      // Delivered and read move the per-message status record forward (it never moves back).
      const status =
        r.status === 'delivered'
          ? 'delivered'
          : r.status === 'read' || r.status === 'played'
            ? 'read'
            : undefined;
      if (status) {
        void recordMessageStatus(this.o.redis, this.o.keys, sessionId, r.messageId, {
          status,
        }).catch((err: unknown) =>
          this.o.logger.warn({ err, sessionId }, 'could not record a receipt'),
        );
      }
    });
    runner.on('fenced_out', () => {
      void this.dropLocally(sessionId, 'fenced out');
    });
    return runner;
  }

  /** Runs an operator command on an owned session (ignored when this worker does not own it). */
  async command(cmd: SessionCommand): Promise<void> {
    const hosted = this.sessions.get(cmd.sessionId);
    if (!hosted) return;
    const log = this.o.logger.child({ sessionId: cmd.sessionId, command: cmd.type });
    switch (cmd.type) {
      case 'logout':
        log.info('logging out by request');
        await hosted.runner.logout();
        return;
      case 'restart':
        log.info('restarting by request');
        await hosted.runner.stop('restart requested');
        await this.reloadSettings(hosted);
        if (this.sessions.get(cmd.sessionId) !== hosted) return;
        await hosted.runner.start();
        return;
      case 'reload_settings':
        log.info('reloading settings by request');
        if (hosted.runner instanceof CloudSessionRunner) await hosted.runner.tokenReplaced();
        await this.reloadSettings(hosted);
        return;
      case 'pairing_code': {
        const publish = (type: string, data: Record<string, unknown>) =>
          publishSessionEvent(this.o.redis, this.o.keys, { sessionId: cmd.sessionId, type, data });
        try {
          const code = await hosted.runner.requestPairingCode(cmd.phone);
          await publish('session.pairing_code', { code, requestId: cmd.requestId });
        } catch (err) {
          await publish('session.pairing_code_failed', {
            reason: (err as Error).message,
            requestId: cmd.requestId,
          });
        }
        return;
      }
    }
  }

  /**
   * A restart applies the session's current settings (rate limit): the send consumer is replaced
   * by one built from the record as it is now. The in-flight send, if any, finishes first.
   */
  private async reloadSettings(hosted: HostedSession): Promise<void> {
    const record = await this.o.records.get(hosted.sessionId);
    if (!record || this.sessions.get(hosted.sessionId) !== hosted) return;
    const rate = rateLimitFrom(record.settings) ?? null;
    // Only a changed rate needs a new consumer; the socket is never touched.
    if (JSON.stringify(rate) !== JSON.stringify(hosted.rate)) {
      hosted.rate = rate;
      await hosted.consumer.close();
      if (this.sessions.get(hosted.sessionId) !== hosted) return;
      hosted.consumer = this.createConsumer(
        hosted.sessionId,
        hosted.fence,
        hosted.runner,
        record.settings,
      );
      await hosted.consumer.start();
    }
    await publishSessionEvent(this.o.redis, this.o.keys, {
      sessionId: hosted.sessionId,
      type: 'session.settings_applied',
      data: { rateLimit: rate, fence: hosted.fence },
    }).catch(() => undefined);
  }

  /** The lease is gone (refused renewal or self-fencing deadline): close the socket now, no release. */
  lost(sessionId: string, reason: string): void {
    const hosted = this.sessions.get(sessionId);
    if (!hosted) return;
    this.o.logger.warn({ sessionId, reason }, 'lease lost: closing the socket now');
    this.o.metrics.leaseRenewFailures.inc();
    hosted.runner.fenceOut(new Error(`lease lost (${reason})`));
    void this.dropLocally(sessionId, reason);
  }

  private async dropLocally(sessionId: string, reason: string): Promise<void> {
    const hosted = this.sessions.get(sessionId);
    if (!hosted) return;
    this.sessions.delete(sessionId);
    this.o.keeper.forget(sessionId);
    this.o.onSessionClosed?.(sessionId);
    await Promise.all([
      hosted.consumer.close().catch(() => undefined),
      hosted.runner.stop(reason).catch(() => undefined),
    ]);
  }

  /** Graceful: close the socket (no logout), flush creds, then release the lease for the next owner. */
  async release(sessionId: string, reason: string): Promise<void> {
    const timer = this.retryTimers.get(sessionId);
    if (timer) {
      clearTimeout(timer);
      this.retryTimers.delete(sessionId);
    }
    const hosted = this.sessions.get(sessionId);
    if (!hosted) return;
    this.sessions.delete(sessionId);
    this.o.onSessionClosed?.(sessionId);
    await hosted.runner
      .stop(reason)
      .catch((err: unknown) => this.o.logger.warn({ err, sessionId }, 'stop failed'));
    await this.o.keeper
      .release(sessionId)
      .catch((err: unknown) => this.o.logger.warn({ err, sessionId }, 'release failed'));
    this.o.logger.info({ sessionId, reason }, 'released session');
  }

  /** Takes no new sessions from now on (owned ones stay until unassigned). */
  stopAccepting(): void {
    this.accepting = false;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
  }

  /**
   * Drain in waves, so each session is down only for its own handover rather than for the
   * whole drain: release `batch` sessions (those the coordinator already gave to another worker
   * first), wait until they are open on their new owner (at most `waveMs`), then the next wave.
   * Past `deadline`, or with no worker to hand over to, the rest is released at once.
   */
  async handOffAll(options: {
    batch: number;
    waveMs: number;
    deadline: number;
    hasPeers: () => Promise<boolean>;
  }): Promise<void> {
    this.stopAccepting();
    if (this.sessions.size > 0 && !(await options.hasPeers().catch(() => false))) {
      return this.releaseAll('worker draining');
    }
    while (this.sessions.size > 0) {
      const ids = this.ids();
      if (Date.now() >= options.deadline) return this.releaseAll('worker draining');
      const owners = await this.o.redis
        .hmget(this.o.keys.assignments(), ...ids)
        .catch(() => ids.map(() => null));
      const elsewhere = ids.filter((_, i) => owners[i] && owners[i] !== this.o.workerId);
      if (elsewhere.length === 0) {
        // The coordinator moves a draining worker's sessions a few per tick: wait for the next.
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      const wave = elsewhere.slice(0, options.batch);
      await Promise.all(wave.map((id) => this.release(id, 'worker draining')));
      const waveEnd = Math.min(options.deadline, Date.now() + options.waveMs);
      while (Date.now() < waveEnd) {
        const records = await Promise.all(wave.map((id) => this.o.records.get(id)));
        const landed = records.every(
          (r) =>
            !r || r.desired !== 'running' || (r.state === 'open' && r.owner !== this.o.workerId),
        );
        if (landed) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** Drain: take nothing new, then hand every session back. */
  async releaseAll(reason: string): Promise<void> {
    this.accepting = false;
    for (const t of this.retryTimers.values()) clearTimeout(t);
    this.retryTimers.clear();
    await Promise.all(this.ids().map((id) => this.release(id, reason)));
  }
}

/** A session's own send rate from its settings (`rateLimit: { max, durationMs, randomGapMs? }`), if valid. */
export function rateLimitFrom(settings: Record<string, unknown>): SendRateLimit | undefined {
  const r = settings.rateLimit as
    | { max?: unknown; durationMs?: unknown; randomGapMs?: { min?: unknown; max?: unknown } }
    | undefined;
  if (
    !r ||
    typeof r.max !== 'number' ||
    typeof r.durationMs !== 'number' ||
    r.max <= 0 ||
    r.durationMs <= 0
  )
    return undefined;
  const gap = r.randomGapMs;
  const randomGapMs =
    gap &&
    typeof gap.min === 'number' &&
    typeof gap.max === 'number' &&
    gap.min >= 0 &&
    gap.max >= gap.min
      ? { min: gap.min, max: gap.max }
      : undefined;
  return {
    max: Math.floor(r.max),
    durationMs: Math.floor(r.durationMs),
    ...(randomGapMs ? { randomGapMs } : {}),
  };
}
