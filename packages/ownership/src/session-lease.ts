import type { Logger } from '@wafleet/core';
import type { Keys, RedisClient } from '@wafleet/redis';
import {
  FencedLease,
  type AcquireResult,
  type LeaseHolder,
  type LeaseKeyPair,
} from './fenced-lease.js';
import { runCommands, toInt } from './redis-commands.js';
import { assertInt, assertWorkerId, callHook } from './validate.js';

/** Options of {@link SessionLease}. */
export interface SessionLeaseOptions {
  redis: RedisClient;
  keys: Keys;
  /** Called after every successful acquisition (metrics hook). */
  onAcquire?: (event: { sessionId: string; workerId: string; fence: number }) => void;
  logger?: Logger;
}

/** Outcome of one lease in {@link SessionLease.renewMany}: renewed, rejected, or the command failed. */
export type RenewOutcome = true | false | Error;

/**
 * A session's ownership lease with fencing tokens: value `<workerId>:<fence>` under
 * `keys.lease(id)` with a TTL, and `keys.fence(id)` counting every acquisition. The holder's fence
 * always equals the stored counter, which is what fenced writes (auth state, job completion)
 * compare against: a write carrying a smaller fence is refused.
 */
export class SessionLease {
  private readonly lease: FencedLease;
  private readonly keys: Keys;
  private readonly redis: RedisClient;
  private readonly onAcquire: SessionLeaseOptions['onAcquire'];
  private readonly logger: Logger | undefined;

  constructor(options: SessionLeaseOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.lease = new FencedLease(options.redis);
    this.onAcquire = options.onAcquire;
    this.logger = options.logger;
  }

  private pair(sessionId: string): LeaseKeyPair {
    return { lease: this.keys.lease(sessionId), fence: this.keys.fence(sessionId) };
  }

  /**
   * Takes the lease if nobody holds it, with a new fence (INCR + SET PX in one script). Never steals:
   * if another worker holds it, says who and for how long. If `workerId` itself already holds it
   * (a restarted process reusing its id), this is a new acquisition with a new fence, which shuts
   * out whatever the old incarnation might still write.
   */
  async acquire(sessionId: string, workerId: string, ttlMs: number): Promise<AcquireResult> {
    assertWorkerId(workerId);
    assertInt('ttlMs', ttlMs);
    const result = await this.lease.acquire(this.pair(sessionId), workerId, ttlMs);
    if (result.acquired) {
      callHook(this.logger, 'onAcquire', this.onAcquire, {
        sessionId,
        workerId,
        fence: result.fence,
      });
    }
    return result;
  }

  /** Compare-and-extend: true only while the lease is exactly `<workerId>:<fence>` and no newer fence exists. */
  async renew(sessionId: string, workerId: string, fence: number, ttlMs: number): Promise<boolean> {
    assertInt('ttlMs', ttlMs);
    return this.lease.renew(this.pair(sessionId), workerId, fence, ttlMs);
  }

  /**
   * Renews many leases of one worker in one round trip (one pipeline; concurrent commands on a
   * Cluster). Each lease gets its own outcome; a failed command is an `Error`, not a rejection.
   */
  async renewMany(
    workerId: string,
    leases: ReadonlyMap<string, number>,
    ttlMs: number,
  ): Promise<Map<string, RenewOutcome>> {
    assertInt('ttlMs', ttlMs);
    const entries = [...leases];
    const replies = await runCommands(
      this.redis,
      entries.map(([id, fence]) => this.lease.renewCommand(this.pair(id), workerId, fence, ttlMs)),
    );
    const out = new Map<string, RenewOutcome>();
    entries.forEach(([id], i) => {
      const reply = replies[i];
      if (!reply) out.set(id, new Error('no reply'));
      else if (!reply.ok) out.set(id, reply.error);
      else out.set(id, reply.value === 1);
    });
    return out;
  }

  /** Compare-and-delete of our own lease (and bumps the fence, so late writes with it are refused). */
  async release(sessionId: string, workerId: string, fence: number): Promise<boolean> {
    return this.lease.release(this.pair(sessionId), workerId, fence);
  }

  /** The current holder, fence and remaining TTL, or null when nobody holds the lease. */
  async current(sessionId: string): Promise<LeaseHolder | null> {
    return (await this.lease.read(this.pair(sessionId))).holder;
  }

  /** {@link current} for many sessions in one round trip; sessions nobody holds are absent. */
  async currentMany(sessionIds: readonly string[]): Promise<Map<string, LeaseHolder>> {
    const replies = await runCommands(
      this.redis,
      sessionIds.map((id) => this.lease.readCommand(this.pair(id))),
    );
    const out = new Map<string, LeaseHolder>();
    sessionIds.forEach((id, i) => {
      const reply = replies[i];
      if (!reply?.ok) throw reply?.error ?? new Error('no reply');
      const { holder } = this.lease.parseRead(reply.value);
      if (holder) out.set(id, holder);
    });
    return out;
  }

  /** The session's fence counter: the fence of the latest acquisition (0 if never acquired). */
  async fence(sessionId: string): Promise<number> {
    return (await this.lease.read(this.pair(sessionId))).counter;
  }

  /**
   * Fast failover: compare-and-deletes every listed lease still held by `workerId` (any fence, or
   * exactly `fences.get(id)` when given, so a same-id process that restarted and re-acquired since
   * the evidence was read keeps its new leases). Bumps each expired lease's fence. Returns the ids
   * expired.
   */
  async expireLeasesOf(
    workerId: string,
    sessionIds: readonly string[],
    options: { fences?: ReadonlyMap<string, number> } = {},
  ): Promise<string[]> {
    assertWorkerId(workerId);
    const replies = await runCommands(
      this.redis,
      sessionIds.map((id) =>
        this.lease.expireCommand(this.pair(id), workerId, options.fences?.get(id)),
      ),
    );
    const expired: string[] = [];
    sessionIds.forEach((id, i) => {
      const reply = replies[i];
      if (!reply?.ok) throw reply?.error ?? new Error('no reply');
      if (toInt(reply.value, 'expire') === 1) expired.push(id);
    });
    return expired;
  }
}
