import type { Keys, RedisClient } from '@wafleet/redis';
import { ownershipErrors } from './errors.js';
import { registerScripts, runCommands, toInt, type Command } from './redis-commands.js';
import { serverTimeMs } from './server-time.js';
import { assertInt, assertWorkerId } from './validate.js';

/** What a worker reports with each heartbeat. */
export interface WorkerHeartbeat {
  workerId: string;
  /** Most sessions it will own at once. */
  capacity: number;
  /** Sessions it owns now. */
  owned: number;
  /** Build/version string, for operators and rolling deploys. */
  version: string;
  /** When the process started (epoch ms). */
  startedAt: number;
  /** Asked to drain: assign it nothing new and move its sessions away. */
  draining?: boolean;
}

/** A registered worker as the coordinator sees it. */
export interface WorkerRecord {
  workerId: string;
  /** Server-clock ms of the last heartbeat. */
  lastHeartbeatMs: number;
  /** 0 (and `version` '') once the info hash has expired: a long-dead worker. */
  capacity: number;
  owned: number;
  version: string;
  startedAt: number;
  draining: boolean;
}

/** Options of {@link WorkerRegistry}. */
export interface WorkerRegistryOptions {
  redis: RedisClient;
  keys: Keys;
  /** A worker whose last heartbeat is older than this is dead (default 10 000 ms). */
  deadAfterMs?: number;
  /** Expiry of a worker's info hash, refreshed by each heartbeat (default 3 × deadAfterMs). */
  infoTtlMs?: number;
}

/**
 * The worker registry: heartbeats in a sorted set (score = Redis server time, ms) plus an info
 * hash per worker. Heartbeats are stamped by Redis `TIME` inside the script, not by the worker's
 * clock, so the coordinator compares ages on one clock whatever the skew between hosts.
 */
export class WorkerRegistry {
  readonly deadAfterMs: number;
  readonly infoTtlMs: number;
  private readonly redis: RedisClient;
  private readonly keys: Keys;

  constructor(options: WorkerRegistryOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.deadAfterMs = options.deadAfterMs ?? 10_000;
    this.infoTtlMs = options.infoTtlMs ?? 3 * this.deadAfterMs;
    assertInt('deadAfterMs', this.deadAfterMs);
    assertInt('infoTtlMs', this.infoTtlMs);
    registerScripts(this.redis);
  }

  /** Records a heartbeat; returns its server-clock time in ms. One round trip (standalone). */
  async heartbeat(beat: WorkerHeartbeat): Promise<number> {
    assertWorkerId(beat.workerId);
    assertInt('capacity', beat.capacity, 0);
    assertInt('owned', beat.owned, 0);
    const info = this.keys.worker(beat.workerId);
    // The sorted set and the hash have no common hash tag (two slots on a Cluster): two commands.
    const commands: Command[] = [
      { name: 'wafleetHeartbeat', args: [this.keys.workers(), beat.workerId] },
      {
        name: 'hset',
        args: [
          info,
          'capacity',
          beat.capacity,
          'owned',
          beat.owned,
          'version',
          beat.version,
          'startedAt',
          beat.startedAt,
          'draining',
          beat.draining ? 1 : 0,
        ],
      },
      { name: 'pexpire', args: [info, this.infoTtlMs] },
    ];
    const replies = await runCommands(this.redis, commands);
    for (const reply of replies) if (!reply.ok) throw reply.error;
    const first = replies[0];
    return toInt(first?.ok ? first.value : undefined, 'heartbeat');
  }

  /** Every registered worker, alive or not, with its last heartbeat (oldest first). */
  async listWorkers(): Promise<WorkerRecord[]> {
    const flat = await this.redis.zrange(this.keys.workers(), 0, -1, 'WITHSCORES');
    const beats: { workerId: string; at: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      beats.push({ workerId: flat[i] ?? '', at: Number(flat[i + 1]) });
    }
    return this.withInfo(beats);
  }

  /**
   * Workers whose last heartbeat is within `windowMs` of `now` (server-clock ms; read from Redis
   * `TIME` when omitted, which is what callers should normally do).
   */
  async liveWorkers(windowMs: number = this.deadAfterMs, now?: number): Promise<WorkerRecord[]> {
    const at = now ?? (await serverTimeMs(this.redis));
    const flat = await this.redis.zrangebyscore(
      this.keys.workers(),
      at - windowMs,
      '+inf',
      'WITHSCORES',
    );
    const beats: { workerId: string; at: number }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      beats.push({ workerId: flat[i] ?? '', at: Number(flat[i + 1]) });
    }
    return this.withInfo(beats);
  }

  /** Removes a worker from the registry (graceful stop, or the coordinator pruning a long-dead one). */
  async deregister(workerId: string): Promise<void> {
    assertWorkerId(workerId);
    const replies = await runCommands(this.redis, [
      { name: 'zrem', args: [this.keys.workers(), workerId] },
      { name: 'del', args: [this.keys.worker(workerId)] },
    ]);
    for (const reply of replies) if (!reply.ok) throw reply.error;
  }

  private async withInfo(beats: { workerId: string; at: number }[]): Promise<WorkerRecord[]> {
    const replies = await runCommands(
      this.redis,
      beats.map((b) => ({ name: 'hgetall', args: [this.keys.worker(b.workerId)] }) as const),
    );
    return beats.map((b, i): WorkerRecord => {
      const reply = replies[i];
      if (!reply?.ok) throw reply?.error ?? new Error('no reply');
      const info = reply.value as Record<string, string | undefined>;
      if (typeof info !== 'object' || info === null) {
        throw ownershipErrors.create('UNEXPECTED_REPLY', {
          command: 'HGETALL',
          reply: JSON.stringify(reply.value),
        });
      }
      return {
        workerId: b.workerId,
        lastHeartbeatMs: b.at,
        capacity: Number(info.capacity ?? 0),
        owned: Number(info.owned ?? 0),
        version: info.version ?? '',
        startedAt: Number(info.startedAt ?? 0),
        draining: info.draining === '1',
      };
    });
  }
}
