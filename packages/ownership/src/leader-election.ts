import type { Logger } from '@wafleet/core';
import type { Keys, RedisClient } from '@wafleet/redis';
import { FencedLease, type AcquireResult, type LeaseKeyPair } from './fenced-lease.js';
import { monotonicNow, resolveTiming, type LeaseTiming } from './lease-timing.js';
import { assertInt, assertWorkerId, callHook } from './validate.js';

/** Why a leader stopped leading: Redis refused the renewal, no renewal succeeded in time, or `stop()`. */
export type DemotionReason = 'rejected' | 'deadline' | 'stopped';

/** Options of {@link LeaderElection}. */
export interface LeaderElectionOptions extends LeaseTiming {
  redis: RedisClient;
  keys: Keys;
  /** This coordinator's instance id (the lease value is `<instanceId>:<fence>`). */
  instanceId: string;
  /** How often a standby tries to take the lease (default: the renew interval). */
  retryIntervalMs?: number;
  /** Became leader; `fence` orders this term after every earlier one. */
  onElected?: (fence: number) => void;
  /** No longer leader: stop acting as one at once. Called before the lease could pass to another. */
  onDemoted?: (reason: DemotionReason) => void;
  /** A renewal (or acquisition attempt) failed with an error (metrics hook). */
  onRenewFailure?: (error: Error) => void;
  logger?: Logger;
}

interface Term {
  fence: number;
  /** Monotonic ms after which we no longer trust that we lead. */
  validUntil: number;
}

/**
 * Leader election for the coordinator on its own fenced lease (`keys.leader()` /
 * `keys.leaderFence()`). The leader renews every `renewIntervalMs` and steps down by itself at
 * `lastRenewalSent + ttl - safetyMargin` if no renewal succeeded, so it has stopped leading before
 * its lease can expire and a standby can take over.
 */
export class LeaderElection {
  readonly instanceId: string;
  readonly ttlMs: number;
  readonly renewIntervalMs: number;
  readonly safetyMarginMs: number;
  readonly retryIntervalMs: number;
  private readonly lease: FencedLease;
  private readonly pair: LeaseKeyPair;
  private readonly options: LeaderElectionOptions;
  private running = false;
  private busy = false;
  private term: Term | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;

  constructor(options: LeaderElectionOptions) {
    assertWorkerId(options.instanceId);
    const timing = resolveTiming(options);
    this.ttlMs = timing.ttlMs;
    this.renewIntervalMs = timing.renewIntervalMs;
    this.safetyMarginMs = timing.safetyMarginMs;
    this.retryIntervalMs = options.retryIntervalMs ?? timing.renewIntervalMs;
    assertInt('retryIntervalMs', this.retryIntervalMs);
    this.instanceId = options.instanceId;
    this.lease = new FencedLease(options.redis);
    this.pair = { lease: options.keys.leader(), fence: options.keys.leaderFence() };
    this.options = options;
  }

  /** True while leading and inside the self-fencing deadline (checked now, not by a timer). */
  get isLeader(): boolean {
    return this.term !== undefined && monotonicNow() < this.term.validUntil;
  }

  /** The fence of the current term, while leading. */
  get fence(): number | undefined {
    return this.isLeader ? this.term?.fence : undefined;
  }

  /** Starts campaigning (first attempt right away) and, once elected, renewing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops; a leader steps down first (onDemoted 'stopped'), then releases the lease for a standby. */
  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    const term = this.term;
    if (!term) return;
    this.demote('stopped');
    try {
      await this.lease.release(this.pair, this.instanceId, term.fence);
    } catch (err) {
      this.options.logger?.warn({ err }, 'could not release the leader lease; it expires by TTL');
    }
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    clearTimeout(this.tickTimer);
    this.tickTimer = setTimeout(() => void this.tick(), delayMs);
    this.tickTimer.unref();
  }

  private async tick(): Promise<void> {
    if (!this.running || this.busy) return;
    this.busy = true;
    try {
      if (this.term) await this.renew(this.term);
      else await this.campaign();
    } finally {
      this.busy = false;
      this.schedule(this.term ? this.renewIntervalMs : this.retryIntervalMs);
    }
  }

  private async campaign(): Promise<void> {
    const sentAt = monotonicNow();
    let result: AcquireResult;
    try {
      result = await this.lease.acquire(this.pair, this.instanceId, this.ttlMs);
    } catch (err) {
      this.failed(err);
      return;
    }
    if (!result.acquired) return;
    const validUntil = sentAt + this.ttlMs - this.safetyMarginMs;
    if (!this.running || monotonicNow() >= validUntil) {
      // Stopped meanwhile, or the reply came too late to lead safely: hand the lease back.
      this.releaseQuietly(result.fence);
      return;
    }
    this.term = { fence: result.fence, validUntil };
    this.armDeadline();
    this.options.logger?.info({ fence: result.fence }, 'elected coordinator leader');
    callHook(this.options.logger, 'onElected', this.options.onElected, result.fence);
  }

  private async renew(term: Term): Promise<void> {
    const sentAt = monotonicNow();
    let ok: boolean;
    try {
      ok = await this.lease.renew(this.pair, this.instanceId, term.fence, this.ttlMs);
    } catch (err) {
      this.failed(err);
      this.checkDeadline();
      return;
    }
    if (this.term !== term) {
      // Stepped down meanwhile (deadline or stop): a late success still holds the lease; free it.
      if (ok) this.releaseQuietly(term.fence);
      return;
    }
    if (!ok) {
      this.demote('rejected');
      return;
    }
    term.validUntil = Math.max(term.validUntil, sentAt + this.ttlMs - this.safetyMarginMs);
    this.armDeadline();
  }

  private failed(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    callHook(this.options.logger, 'onRenewFailure', this.options.onRenewFailure, error);
  }

  private releaseQuietly(fence: number): void {
    this.lease.release(this.pair, this.instanceId, fence).catch(() => {
      // Unreachable: the TTL frees it instead.
    });
  }

  private checkDeadline(): void {
    if (this.term && monotonicNow() >= this.term.validUntil) this.demote('deadline');
  }

  private demote(reason: DemotionReason): void {
    const term = this.term;
    if (!term) return;
    this.term = undefined;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.options.logger?.warn({ fence: term.fence, reason }, 'stepped down as coordinator leader');
    callHook(this.options.logger, 'onDemoted', this.options.onDemoted, reason);
    if (reason !== 'stopped') this.schedule(0);
  }

  private armDeadline(): void {
    clearTimeout(this.deadlineTimer);
    const term = this.term;
    if (!term) return;
    this.deadlineTimer = setTimeout(
      () => {
        this.deadlineTimer = undefined;
        if (this.term && monotonicNow() < this.term.validUntil) this.armDeadline();
        else this.demote('deadline');
      },
      Math.max(1, Math.ceil(term.validUntil - monotonicNow())),
    );
    this.deadlineTimer.unref();
  }
}
