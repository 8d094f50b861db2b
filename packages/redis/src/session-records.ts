import type { RedisClient } from './create-redis.js';
import { LuaScript } from './lua-script.js';
import type { Keys } from './keys.js';

/** Kind of session: the unofficial multi-device login or the official Cloud API. */
export type SessionKind = 'baileys' | 'cloud';
/** What the operator wants: the coordinator assigns only `running` sessions. */
export type DesiredState = 'running' | 'stopped';

/** One session's record (the hash at `keys.session(id)`). */
export interface SessionRecord {
  id: string;
  kind: SessionKind;
  name: string;
  desired: DesiredState;
  createdAt: number;
  /** Runtime status written by the owning worker. */
  state: string;
  stateSince: number;
  owner?: string;
  lastCode?: number;
  lastReason?: string;
  me?: string;
  /** Free-form JSON settings (webhook, rate limit) owned by the api. */
  settings: Record<string, unknown>;
}

function fromHash(id: string, h: Record<string, string>): SessionRecord | undefined {
  if (!h.kind) return undefined;
  let settings: Record<string, unknown> = {};
  try {
    settings = h.settings ? (JSON.parse(h.settings) as Record<string, unknown>) : {};
  } catch {
    settings = {};
  }
  return {
    id,
    kind: h.kind as SessionKind,
    name: h.name ?? id,
    desired: (h.desired as DesiredState | undefined) ?? 'stopped',
    createdAt: Number(h.createdAt ?? 0),
    state: h.state ?? 'stopped',
    stateSince: Number(h.stateSince ?? 0),
    ...(h.owner ? { owner: h.owner } : {}),
    ...(h.lastCode ? { lastCode: Number(h.lastCode) } : {}),
    ...(h.lastReason ? { lastReason: h.lastReason } : {}),
    ...(h.me ? { me: h.me } : {}),
    settings,
  };
}

const setStatusScript = new LuaScript(new URL('./set-status-2.lua', import.meta.url), 2);

/** Session records in Redis: the set of all ids plus one hash per session. */
export class SessionRecords {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  /** Creates a record; returns false when the id exists already. */
  async create(input: {
    id: string;
    kind: SessionKind;
    name?: string;
    desired?: DesiredState;
    settings?: Record<string, unknown>;
  }): Promise<boolean> {
    const key = this.keys.session(input.id);
    const created = await this.redis.hsetnx(key, 'kind', input.kind);
    if (created === 0) return false;
    const now = Date.now();
    await this.redis.hset(key, {
      name: input.name ?? input.id,
      desired: input.desired ?? 'running',
      createdAt: String(now),
      state: 'stopped',
      stateSince: String(now),
      settings: JSON.stringify(input.settings ?? {}),
    });
    await this.redis.sadd(this.keys.sessions(), input.id);
    return true;
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    return fromHash(id, await this.redis.hgetall(this.keys.session(id)));
  }

  /** Every session id. */
  async ids(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.sessions())).sort();
  }

  /** Every record, read in one pipeline. */
  async list(): Promise<SessionRecord[]> {
    const ids = await this.ids();
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.session(id));
    const results = (await pipeline.exec()) ?? [];
    const records: SessionRecord[] = [];
    results.forEach(([err, value], i) => {
      const id = ids[i];
      if (err || !id) return;
      const rec = fromHash(id, value as Record<string, string>);
      if (rec) records.push(rec);
    });
    return records;
  }

  async setDesired(id: string, desired: DesiredState): Promise<void> {
    await this.redis.hset(this.keys.session(id), 'desired', desired);
  }

  async setSettings(id: string, settings: Record<string, unknown>): Promise<void> {
    await this.redis.hset(this.keys.session(id), 'settings', JSON.stringify(settings));
  }

  /**
   * Records the runtime status reported by the owning worker. With `leaseValue` (`<workerId>:<fence>`)
   * the write only happens while that lease is current; returns whether it was written.
   */
  async setStatus(
    id: string,
    status: {
      state: string;
      since: number;
      owner?: string;
      code?: number;
      reason?: string;
      me?: string;
    },
    options: { leaseValue?: string } = {},
  ): Promise<boolean> {
    const key = this.keys.session(id);
    const fields: Record<string, string> = {
      state: status.state,
      stateSince: String(status.since),
    };
    if (status.owner !== undefined) fields.owner = status.owner;
    if (status.code !== undefined) fields.lastCode = String(status.code);
    if (status.reason !== undefined) fields.lastReason = status.reason;
    if (status.me !== undefined) fields.me = status.me;
    const written = await setStatusScript.run(
      this.redis,
      [key, this.keys.lease(id)],
      [options.leaseValue ?? '', ...Object.entries(fields).flat()],
    );
    return written === 1;
  }

  /** Deletes the record (not the auth state or queue; callers wipe those). */
  async delete(id: string): Promise<boolean> {
    const removed = await this.redis.srem(this.keys.sessions(), id);
    await this.redis.del(this.keys.session(id));
    return removed === 1;
  }
}
