import { createHmac } from 'node:crypto';
import type { Logger } from '@wafleet/core';
import type { WafleetMetrics } from '@wafleet/metrics';
import { serverTimeMs, type WorkerRegistry } from '@wafleet/ownership';
import {
  publishSessionEvent,
  type Keys,
  type RedisClient,
  type SessionRecord,
  type SessionRecords,
} from '@wafleet/redis';

/** What an alert is about. */
export type AlertKind = 'session_down' | 'session_state' | 'worker_gone' | 'queue_stuck';

/** Every alert kind, for gauges that must show 0 for kinds with no open alert. */
export const ALERT_KINDS: readonly AlertKind[] = [
  'session_down',
  'session_state',
  'worker_gone',
  'queue_stuck',
];

/** States that need an operator at once (no threshold): the session will not come back by itself. */
export const BAD_SESSION_STATES: ReadonlySet<string> = new Set([
  'conflict',
  'failed',
  'logged_out',
  'token_invalid',
]);

/** One open alert, as stored in Redis (`keys.alerts()`, field = id) and sent to the webhook. */
export interface Alert {
  /** Stable id: `session:<id>`, `worker:<id>`, `queue:<id>`. One alert per subject. */
  id: string;
  kind: AlertKind;
  sessionId?: string;
  workerId?: string;
  /** Unix ms when the condition started (not when the alert opened). */
  since: number;
  /** Unix ms when the alert opened. */
  openedAt: number;
  /** Human summary (state, last disconnect code, queue depth …); never a phone number or token. */
  detail: string;
}

/** A condition seen in one pass: `ripe` means it has lasted long enough to open an alert. */
export interface AlertCandidate {
  id: string;
  kind: AlertKind;
  sessionId?: string;
  workerId?: string;
  since: number;
  detail: string;
  ripe: boolean;
}

/** Alert bookkeeping carried from one pass to the next. */
export interface AlertBook {
  open: Map<string, Alert>;
  /** Open alerts whose condition is gone: since when (unix ms). */
  clearSince: Map<string, number>;
}

/** The outcome of one pass of {@link nextAlerts}. */
export interface AlertTransition {
  opened: Alert[];
  resolved: Alert[];
  /** Open alerts whose kind or detail changed (kept open, stored again, not re-notified). */
  updated: Alert[];
}

/**
 * Pure hysteresis: an alert opens when its condition is ripe, stays open while the condition
 * is present at all (ripe or not), and resolves only after the condition has been absent for
 * `resolveAfterMs` — so a flapping session produces one alert and, once stable, one resolution.
 * Mutates `book`.
 */
export function nextAlerts(
  book: AlertBook,
  candidates: readonly AlertCandidate[],
  now: number,
  resolveAfterMs: number,
): AlertTransition {
  const out: AlertTransition = { opened: [], resolved: [], updated: [] };
  const present = new Map(candidates.map((c) => [c.id, c]));
  for (const c of candidates) {
    const existing = book.open.get(c.id);
    if (existing) {
      book.clearSince.delete(c.id);
      if (existing.kind !== c.kind || existing.detail !== c.detail) {
        const updated = { ...existing, kind: c.kind, detail: c.detail };
        book.open.set(c.id, updated);
        out.updated.push(updated);
      }
    } else if (c.ripe) {
      const alert: Alert = {
        id: c.id,
        kind: c.kind,
        ...(c.sessionId !== undefined ? { sessionId: c.sessionId } : {}),
        ...(c.workerId !== undefined ? { workerId: c.workerId } : {}),
        since: c.since,
        openedAt: now,
        detail: c.detail,
      };
      book.open.set(c.id, alert);
      out.opened.push(alert);
    }
  }
  for (const [id, alert] of book.open) {
    if (present.has(id)) continue;
    const clear = book.clearSince.get(id) ?? now;
    book.clearSince.set(id, clear);
    if (now - clear >= resolveAfterMs) {
      book.open.delete(id);
      book.clearSince.delete(id);
      out.resolved.push(alert);
    }
  }
  return out;
}

/** What one pass observed about the cluster. */
export interface ClusterObservation {
  now: number;
  records: readonly SessionRecord[];
  workers: readonly { workerId: string; lastHeartbeatMs: number; draining: boolean }[];
  assignments: Readonly<Record<string, string>>;
  /** Send-queue depth per session id. */
  queues: ReadonlyMap<string, QueueDepth>;
}

/** Jobs of one send queue by state. */
export interface QueueDepth {
  waiting: number;
  delayed: number;
  failed: number;
}

/** Per-subject memory between passes (down since, queue not shrinking since). */
export interface MonitorMemory {
  downSince: Map<string, number>;
  queue: Map<string, { depth: number; stuckSince: number }>;
}

/** Thresholds of the monitor. */
export interface MonitorThresholds {
  sessionDownAfterMs: number;
  queueStuckAfterMs: number;
  workerDeadAfterMs: number;
}

/** A dead worker stays in the registry until it deregisters; after this its alert resolves. */
const WORKER_FORGET_AFTER_MS = 60 * 60_000;

/** Pure: the alert conditions of one observation. Updates `memory`. */
export function alertCandidates(
  obs: ClusterObservation,
  memory: MonitorMemory,
  t: MonitorThresholds,
): AlertCandidate[] {
  const out: AlertCandidate[] = [];
  const seen = new Set<string>();
  for (const r of obs.records) {
    if (r.desired !== 'running') continue;
    seen.add(r.id);
    const code = r.lastCode !== undefined ? ` (last disconnect ${r.lastCode})` : '';
    if (r.state === 'open') memory.downSince.delete(r.id);
    else {
      // The record's own "since" survives a coordinator failover; our memory bridges
      // connecting → reconnecting → connecting, which each reset the record's since.
      const since = memory.downSince.get(r.id) ?? (r.stateSince > 0 ? r.stateSince : obs.now);
      memory.downSince.set(r.id, since);
      const bad = BAD_SESSION_STATES.has(r.state);
      out.push({
        id: `session:${r.id}`,
        kind: bad ? 'session_state' : 'session_down',
        sessionId: r.id,
        since,
        detail: `session ${r.id} is ${r.state}${code}`,
        ripe: bad || obs.now - since >= t.sessionDownAfterMs,
      });
    }
    const q = obs.queues.get(r.id);
    const depth = q ? q.waiting : 0;
    const prev = memory.queue.get(r.id);
    if (depth === 0) memory.queue.delete(r.id);
    else {
      // "Growing without draining": waiting jobs whose count has not gone down since stuckSince.
      const stuckSince = prev && depth >= prev.depth ? prev.stuckSince : obs.now;
      memory.queue.set(r.id, { depth, stuckSince });
      if (obs.now - stuckSince >= t.queueStuckAfterMs)
        out.push({
          id: `queue:${r.id}`,
          kind: 'queue_stuck',
          sessionId: r.id,
          since: stuckSince,
          detail: `send queue of ${r.id} has ${depth} waiting jobs and has not drained`,
          ripe: true,
        });
    }
  }
  for (const id of memory.downSince.keys()) if (!seen.has(id)) memory.downSince.delete(id);
  for (const id of memory.queue.keys()) if (!seen.has(id)) memory.queue.delete(id);
  for (const w of obs.workers) {
    const age = obs.now - w.lastHeartbeatMs;
    if (age > t.workerDeadAfterMs && age < WORKER_FORGET_AFTER_MS)
      out.push({
        id: `worker:${w.workerId}`,
        kind: 'worker_gone',
        workerId: w.workerId,
        since: w.lastHeartbeatMs,
        detail: `worker ${w.workerId} stopped heartbeating ${Math.round(age / 1000)} s ago`,
        ripe: true,
      });
  }
  return out;
}

/** The JSON body of an alert webhook: `text` is what Slack/Mattermost/Telegram relays show. */
export function alertWebhookBody(event: 'opened' | 'resolved', alert: Alert, now: number): string {
  const text =
    event === 'opened'
      ? `🔴 wafleet alert: ${alert.detail}`
      : `✅ wafleet resolved: ${alert.detail} (after ${Math.round((now - alert.openedAt) / 1000)} s)`;
  return JSON.stringify({ text, alert: { ...alert, status: event, at: now } });
}

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, like session webhooks. */
export function signAlert(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface SessionMonitorOptions {
  logger: Logger;
  redis: RedisClient;
  keys: Keys;
  records: SessionRecords;
  registry: WorkerRegistry;
  metrics: WafleetMetrics;
  /** Only the leader monitors (one webhook per alert, not one per coordinator). */
  isLeader: () => boolean;
  intervalMs: number;
  thresholds: MonitorThresholds;
  resolveAfterMs: number;
  webhook?: { url: string; secret?: string; timeoutMs?: number };
}

/** Delivery attempts of one alert notification (the receiver being down must not stall the monitor). */
const WEBHOOK_ATTEMPTS = 3;

/**
 * The cluster-wide health check run by the leading coordinator: every pass reads session records,
 * worker heartbeats and send-queue depths, opens/resolves alerts (with hysteresis), keeps the open
 * alerts in the Redis hash `keys.alerts()` (read by the api's `GET /v1/health/sessions`), appends
 * `alert.opened` / `alert.resolved` to the event stream, sets the cluster gauges and calls the
 * optional alert webhook.
 */
export class SessionMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private book: AlertBook | undefined;
  private memory: MonitorMemory = { downSince: new Map(), queue: new Map() };
  private readonly deliveries = new Set<Promise<void>>();

  constructor(private readonly o: SessionMonitorOptions) {}

  start(): void {
    this.timer = setInterval(() => this.kick(), this.o.intervalMs);
    this.kick();
  }

  /** Runs a pass now unless one is running. */
  kick(): void {
    if (this.stopped || this.running) return;
    this.running = this.pass()
      .catch((err: unknown) =>
        this.o.logger.warn({ err: { message: (err as Error).message } }, 'session monitor failed'),
      )
      .finally(() => {
        this.running = undefined;
      });
  }

  /** Stops the loop and waits for the pass and webhook deliveries in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
    await Promise.all([...this.deliveries]);
  }

  /** One pass (exposed for tests and for a kick after leadership changes). */
  async pass(): Promise<void> {
    if (!this.o.isLeader()) {
      // A standby forgets: the next leader reloads the open alerts from Redis.
      this.book = undefined;
      this.memory = { downSince: new Map(), queue: new Map() };
      this.resetGauges();
      return;
    }
    const book = (this.book ??= await this.loadBook());
    const obs = await this.observe();
    const candidates = alertCandidates(obs, this.memory, this.o.thresholds);
    const t = nextAlerts(book, candidates, obs.now, this.o.resolveAfterMs);
    await this.persist(t);
    this.setGauges(obs, book);
    for (const a of t.opened) this.notify('opened', a, obs.now);
    for (const a of t.resolved) this.notify('resolved', a, obs.now);
  }

  private async loadBook(): Promise<AlertBook> {
    const raw = await this.o.redis.hgetall(this.o.keys.alerts());
    const open = new Map<string, Alert>();
    for (const [id, json] of Object.entries(raw)) {
      try {
        open.set(id, JSON.parse(json) as Alert);
      } catch {
        // A malformed entry is dropped; the condition, if still present, reopens it.
      }
    }
    return { open, clearSince: new Map() };
  }

  private async observe(): Promise<ClusterObservation> {
    const [records, workers, assignments, now] = await Promise.all([
      this.o.records.list(),
      this.o.registry.listWorkers(),
      this.o.redis.hgetall(this.o.keys.assignments()),
      serverTimeMs(this.o.redis),
    ]);
    const queues = new Map<string, QueueDepth>();
    await Promise.all(
      records
        .filter((r) => r.desired === 'running')
        .map(async (r) => {
          queues.set(r.id, await this.queueDepth(r.id));
        }),
    );
    return { now, records, workers, assignments, queues };
  }

  /** BullMQ's own key layout (`<prefix>:send:wait|paused|prioritized|delayed|failed`); one slot per session. */
  private async queueDepth(sessionId: string): Promise<QueueDepth> {
    const base = `${this.o.keys.queuePrefix(sessionId)}:send`;
    const res = await this.o.redis
      .pipeline()
      .llen(`${base}:wait`)
      .llen(`${base}:paused`)
      .zcard(`${base}:prioritized`)
      .zcard(`${base}:delayed`)
      .zcard(`${base}:failed`)
      .exec();
    const n = (i: number) => Number(res?.[i]?.[1] ?? 0);
    return { waiting: n(0) + n(1) + n(2), delayed: n(3), failed: n(4) };
  }

  private async persist(t: AlertTransition): Promise<void> {
    const key = this.o.keys.alerts();
    const p = this.o.redis.pipeline();
    for (const a of [...t.opened, ...t.updated]) p.hset(key, a.id, JSON.stringify(a));
    for (const a of t.resolved) p.hdel(key, a.id);
    if (t.opened.length + t.updated.length + t.resolved.length > 0) await p.exec();
    const events = [
      ...t.opened.map((a) => ['alert.opened', a] as const),
      ...t.resolved.map((a) => ['alert.resolved', a] as const),
    ];
    for (const [type, a] of events) {
      this.o.logger.warn({ alertId: a.id, kind: a.kind, detail: a.detail }, type);
      // Worker alerts have no session: the empty session id marks a cluster-level event.
      await publishSessionEvent(this.o.redis, this.o.keys, {
        sessionId: a.sessionId ?? '',
        type,
        data: { ...a },
      });
    }
  }

  private resetGauges(): void {
    const m = this.o.metrics;
    m.sessionAlerts.reset();
    m.clusterSessions.reset();
    m.sessionsDown.reset();
    m.sessionsUnowned.reset();
    m.workers.reset();
    m.queueJobs.reset();
  }

  private setGauges(obs: ClusterObservation, book: AlertBook): void {
    const m = this.o.metrics;
    this.resetGauges();
    for (const kind of ALERT_KINDS) m.sessionAlerts.set({ kind }, 0);
    for (const a of book.open.values()) m.sessionAlerts.inc({ kind: a.kind });
    const dead = new Set<string>();
    let live = 0;
    let draining = 0;
    for (const w of obs.workers) {
      if (obs.now - w.lastHeartbeatMs > this.o.thresholds.workerDeadAfterMs) dead.add(w.workerId);
      else if (w.draining) draining++;
      else live++;
    }
    m.workers.set({ status: 'live' }, live);
    m.workers.set({ status: 'draining' }, draining);
    m.workers.set({ status: 'dead' }, dead.size);
    const known = new Set(obs.workers.map((w) => w.workerId));
    let unowned = 0;
    for (const kind of ['baileys', 'cloud'] as const) {
      m.sessionsDown.set({ kind }, 0);
      for (const state of ['waiting', 'delayed', 'failed'] as const)
        m.queueJobs.set({ state, kind }, 0);
    }
    for (const r of obs.records) {
      m.clusterSessions.inc({ state: r.state, kind: r.kind });
      if (r.desired !== 'running') continue;
      if (r.state !== 'open') m.sessionsDown.inc({ kind: r.kind });
      const owner = obs.assignments[r.id];
      if (r.kind === 'baileys' && (!owner || !known.has(owner) || dead.has(owner))) unowned++;
      const q = obs.queues.get(r.id);
      if (q) {
        m.queueJobs.inc({ state: 'waiting', kind: r.kind }, q.waiting);
        m.queueJobs.inc({ state: 'delayed', kind: r.kind }, q.delayed);
        m.queueJobs.inc({ state: 'failed', kind: r.kind }, q.failed);
      }
    }
    m.sessionsUnowned.set(unowned);
    m.monitorLastRun.set(Math.floor(obs.now / 1000));
  }

  private notify(event: 'opened' | 'resolved', alert: Alert, now: number): void {
    const hook = this.o.webhook;
    if (!hook) return;
    const p = this.deliver(hook, event, alert, now).finally(() => this.deliveries.delete(p));
    this.deliveries.add(p);
  }

  private async deliver(
    hook: NonNullable<SessionMonitorOptions['webhook']>,
    event: 'opened' | 'resolved',
    alert: Alert,
    now: number,
  ): Promise<void> {
    const body = alertWebhookBody(event, alert, now);
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
      const ts = Math.floor(Date.now() / 1000);
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-wafleet-event-id': `${alert.id}:${event}:${alert.openedAt}`,
        'x-wafleet-timestamp': String(ts),
      };
      if (hook.secret) headers['x-wafleet-signature'] = signAlert(hook.secret, ts, body);
      try {
        const res = await fetch(hook.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(hook.timeoutMs ?? 10_000),
        });
        await res.body?.cancel();
        if (res.ok) {
          this.o.metrics.alertNotifications.inc({ event, outcome: 'delivered' });
          return;
        }
        this.o.logger.warn({ status: res.status, alertId: alert.id }, 'alert webhook refused');
      } catch (err) {
        this.o.logger.warn(
          { err: { message: (err as Error).message }, alertId: alert.id },
          'alert webhook failed',
        );
      }
      if (this.stopped || attempt === WEBHOOK_ATTEMPTS) break;
      await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    }
    this.o.metrics.alertNotifications.inc({ event, outcome: 'failed' });
  }
}
