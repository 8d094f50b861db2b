import type { Logger } from '@wafleet/core';
import type { AcquireResult } from './fenced-lease.js';
import { monotonicNow, resolveTiming, type LeaseTiming } from './lease-timing.js';
import type { RenewOutcome, SessionLease } from './session-lease.js';
import { assertWorkerId, callHook } from './validate.js';

/** Why a worker lost a lease: Redis said no (expired, or a newer fence), or no renewal succeeded in time. */
export type LeaseLostReason = 'rejected' | 'deadline';

/** One renewal round, for metrics. */
export interface RenewRoundStats {
  renewed: number;
  rejected: number;
  failed: number;
  /** From sending the round until its replies arrived. */
  latencyMs: number;
}

/** Options of {@link LeaseKeeper}. */
export interface LeaseKeeperOptions extends LeaseTiming {
  lease: SessionLease;
  workerId: string;
  /**
   * The lease is gone for us: close the session's socket now. Called before the TTL could run out
   * (reason `deadline`), or as soon as a renewal is refused (reason `rejected`). Never called twice
   * for one acquisition.
   */
  onLost: (sessionId: string, reason: LeaseLostReason) => void;
  /** A renewal command failed (Redis unreachable, timeout); `sessionId` is undefined for a whole round. */
  onRenewFailure?: (failure: { sessionId: string | undefined; error: Error }) => void;
  /** After each renewal round (metrics hook). */
  onRenew?: (stats: RenewRoundStats) => void;
  logger?: Logger;
}

interface Held {
  fence: number;
  /** Monotonic ms: past this we no longer trust that we hold the lease. */
  validUntil: number;
}

/**
 * Holds a worker's session leases: renews them all each interval in one round trip, and fences
 * itself. A lease whose last successful acquisition/renewal was sent at `t` is given up at
 * `t + ttl - safetyMargin` at the latest (even with Redis unreachable), and at once when Redis
 * rejects a renewal. Deadlines use the monotonic clock and are measured from when a command was
 * *sent*, which can only be earlier than when Redis started the TTL.
 */
export class LeaseKeeper {
  readonly workerId: string;
  readonly ttlMs: number;
  readonly renewIntervalMs: number;
  readonly safetyMarginMs: number;
  private readonly lease: SessionLease;
  private readonly options: LeaseKeeperOptions;
  private readonly held = new Map<string, Held>();
  /** Leases given up at their deadline: if a late renewal still succeeds, release them for the next owner. */
  private readonly abandoned = new Map<string, number>();
  private renewTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private deadlineAt = Infinity;

  constructor(options: LeaseKeeperOptions) {
    assertWorkerId(options.workerId);
    const timing = resolveTiming(options);
    this.ttlMs = timing.ttlMs;
    this.renewIntervalMs = timing.renewIntervalMs;
    this.safetyMarginMs = timing.safetyMarginMs;
    this.workerId = options.workerId;
    this.lease = options.lease;
    this.options = options;
  }

  /** Starts renewing every `renewIntervalMs`. */
  start(): void {
    if (this.renewTimer) return;
    this.renewTimer = setInterval(() => void this.renewNow(), this.renewIntervalMs);
    this.renewTimer.unref();
    this.armDeadline();
  }

  /** Stops renewing and watching deadlines (after `releaseAll()` at shutdown). Leases stay tracked. */
  stop(): void {
    clearInterval(this.renewTimer);
    this.renewTimer = undefined;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.deadlineAt = Infinity;
  }

  /** Acquires a session's lease for this worker and keeps it renewed on success. */
  async acquire(sessionId: string): Promise<AcquireResult> {
    const sentAt = monotonicNow();
    const result = await this.lease.acquire(sessionId, this.workerId, this.ttlMs);
    if (result.acquired) this.track(sessionId, result.fence, sentAt);
    return result;
  }

  /**
   * Keeps renewing a lease acquired elsewhere. `acquiredAt` is the monotonic time
   * (`performance.now()`) at which the acquiring command was sent.
   */
  track(sessionId: string, fence: number, acquiredAt: number = monotonicNow()): void {
    this.abandoned.delete(sessionId);
    this.held.set(sessionId, { fence, validUntil: acquiredAt + this.ttlMs - this.safetyMarginMs });
    if (this.renewTimer) this.armDeadline();
  }

  /** Stops renewing without releasing: the lease runs out by its TTL. */
  forget(sessionId: string): void {
    this.held.delete(sessionId);
  }

  /**
   * Gives a lease back (after the socket is closed and creds are flushed), so the next owner can
   * start at once. False when it was not held (any more).
   */
  async release(sessionId: string): Promise<boolean> {
    const entry = this.held.get(sessionId);
    if (!entry) return false;
    this.held.delete(sessionId);
    return this.lease.release(sessionId, this.workerId, entry.fence);
  }

  /** Releases every held lease (shutdown); returns the ids whose release Redis confirmed. */
  async releaseAll(): Promise<string[]> {
    const ids = [...this.held.keys()];
    const results = await Promise.allSettled(ids.map((id) => this.release(id)));
    return ids.filter((_id, i) => {
      const r = results[i];
      return r?.status === 'fulfilled' && r.value;
    });
  }

  /** True while the lease is held and its self-fencing deadline has not passed (checked now, not by a timer). */
  holds(sessionId: string): boolean {
    const entry = this.held.get(sessionId);
    return entry !== undefined && monotonicNow() < entry.validUntil;
  }

  /** The fence of a held lease; it goes with every fenced write. */
  fenceOf(sessionId: string): number | undefined {
    return this.held.get(sessionId)?.fence;
  }

  /** Milliseconds left before this worker gives the lease up unless a renewal succeeds (0 if not held). */
  remainingMs(sessionId: string): number {
    const entry = this.held.get(sessionId);
    return entry ? Math.max(0, entry.validUntil - monotonicNow()) : 0;
  }

  /** Ids of the leases held now. */
  sessionIds(): string[] {
    return [...this.held.keys()];
  }

  /** One renewal round for every held lease (the interval calls this; callable directly). */
  async renewNow(): Promise<void> {
    this.fenceOverdue();
    if (this.held.size === 0) return;
    const batch = new Map([...this.held].map(([id, entry]) => [id, entry.fence]));
    const sentAt = monotonicNow();
    let outcomes: Map<string, RenewOutcome>;
    try {
      outcomes = await this.lease.renewMany(this.workerId, batch, this.ttlMs);
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      callHook(this.options.logger, 'onRenewFailure', this.options.onRenewFailure, {
        sessionId: undefined,
        error,
      });
      callHook(this.options.logger, 'onRenew', this.options.onRenew, {
        renewed: 0,
        rejected: 0,
        failed: batch.size,
        latencyMs: monotonicNow() - sentAt,
      });
      this.fenceOverdue();
      return;
    }
    const validUntil = sentAt + this.ttlMs - this.safetyMarginMs;
    const stats: RenewRoundStats = { renewed: 0, rejected: 0, failed: 0, latencyMs: 0 };
    for (const [id, fence] of batch) {
      const outcome = outcomes.get(id) ?? new Error('no reply');
      const entry = this.held.get(id);
      const current = entry !== undefined && entry.fence === fence;
      if (outcome === true) {
        stats.renewed++;
        if (current) entry.validUntil = Math.max(entry.validUntil, validUntil);
        else if (this.abandoned.get(id) === fence) this.releaseAbandoned(id, fence);
      } else if (outcome === false) {
        stats.rejected++;
        if (current) this.lose(id, 'rejected');
      } else {
        stats.failed++;
        callHook(this.options.logger, 'onRenewFailure', this.options.onRenewFailure, {
          sessionId: id,
          error: outcome,
        });
      }
    }
    stats.latencyMs = monotonicNow() - sentAt;
    callHook(this.options.logger, 'onRenew', this.options.onRenew, stats);
    this.fenceOverdue();
  }

  private lose(sessionId: string, reason: LeaseLostReason): void {
    const entry = this.held.get(sessionId);
    if (!entry) return;
    this.held.delete(sessionId);
    if (reason === 'deadline') this.abandoned.set(sessionId, entry.fence);
    this.options.logger?.warn({ sessionId, fence: entry.fence, reason }, 'session lease lost');
    callHook(this.options.logger, 'onLost', this.options.onLost, sessionId, reason);
  }

  /** A renewal sent before the deadline succeeded after it: we already let go, so hand the lease back. */
  private releaseAbandoned(sessionId: string, fence: number): void {
    this.abandoned.delete(sessionId);
    this.lease.release(sessionId, this.workerId, fence).catch(() => {
      // Unreachable again: the TTL frees it instead.
    });
  }

  /** Gives up every lease past its deadline, then re-arms the deadline timer. */
  private fenceOverdue(): void {
    const now = monotonicNow();
    for (const [id, entry] of [...this.held]) {
      if (now >= entry.validUntil) this.lose(id, 'deadline');
    }
    if (this.renewTimer) this.armDeadline();
  }

  private armDeadline(): void {
    let next = Infinity;
    for (const entry of this.held.values()) next = Math.min(next, entry.validUntil);
    if (next === this.deadlineAt && this.deadlineTimer) return;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.deadlineAt = next;
    if (next === Infinity) return;
    // Timers may fire a little early against performance.now(); fenceOverdue re-arms for the rest.
    this.deadlineTimer = setTimeout(
      () => {
        this.deadlineTimer = undefined;
        this.deadlineAt = Infinity;
        this.fenceOverdue();
      },
      Math.max(1, Math.ceil(next - monotonicNow())),
    );
    this.deadlineTimer.unref();
  }
}
