// A real cluster for tests: redis-server, a wa-sim process, coordinator(s) and workers as child processes.
import { createRedisAuthStateStore, type AuthStateStore } from '@wafleet/auth-store';
import { loadConfig, workerConfigSchema } from '@wafleet/core';
import { createKeys, SessionRecords, type Keys, type SessionRecord } from '@wafleet/redis';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  spawnApp,
  startSimProcess,
  startTestRedis,
  uniquePrefix,
  until,
  type SimProcess,
  type SpawnedApp,
  type TestRedis,
} from '@wafleet/test-support/harness';

export const TEST_KEYRING_ENV = `k1:${Buffer.alloc(32, 42).toString('base64')}`;

export interface ClusterOptions {
  workers?: number;
  coordinators?: number;
  env?: Record<string, string>;
  persistence?: 'aof' | 'none';
}

export interface PairedSession {
  sessionId: string;
  phone: string;
  deviceJid: string;
}

/** Timing that keeps tests quick while staying inside the schema's rules. */
export const FAST_CLUSTER_ENV = {
  LEASE_TTL_MS: '3000',
  HEARTBEAT_INTERVAL_MS: '300',
  HEARTBEAT_DEAD_AFTER_MS: '1000',
  LEADER_TTL_MS: '2000',
  COORDINATOR_TICK_MS: '200',
  RECONCILE_INTERVAL_MS: '1000',
  MAX_CONCURRENT_CONNECTS: '8',
  LOG_LEVEL: 'info',
};

/** A real cluster: redis-server, a wa-sim process, coordinator(s) and workers as child processes. */
export class TestCluster {
  readonly workers: SpawnedApp[] = [];
  readonly coordinators: SpawnedApp[] = [];
  readonly keys: Keys;
  readonly records: SessionRecords;
  readonly auth: AuthStateStore;
  readonly client: Redis;
  private workerSeq = 0;

  private constructor(
    readonly redis: TestRedis,
    readonly sim: SimProcess,
    readonly prefix: string,
    readonly env: Record<string, string>,
  ) {
    this.keys = createKeys(prefix);
    this.client = new Redis(redis.url, { maxRetriesPerRequest: null });
    this.client.on('error', () => {});
    this.records = new SessionRecords(this.client, this.keys);
    const keyring = loadConfig(workerConfigSchema, {
      REDIS_URL: redis.url,
      ENCRYPTION_KEYS: TEST_KEYRING_ENV,
    }).ENCRYPTION_KEYS;
    this.auth = createRedisAuthStateStore({ redis: this.client, keys: this.keys, keyring });
  }

  static async start(options: ClusterOptions = {}): Promise<TestCluster> {
    const redis = await startTestRedis({ persistence: options.persistence ?? 'none' });
    const sim = await startSimProcess();
    const prefix = uniquePrefix('c');
    // Workers upload media to the sim's HTTPS host, whose self-signed CA they must trust.
    const caFile = join(redis.dir, 'wa-sim-media-ca.pem');
    if (sim.info.media_ca_pem) writeFileSync(caFile, sim.info.media_ca_pem);
    const env = {
      ...FAST_CLUSTER_ENV,
      ...options.env,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      ENCRYPTION_KEYS: TEST_KEYRING_ENV,
      ...sim.workerEnv,
      ...(sim.info.media_ca_pem ? { NODE_EXTRA_CA_CERTS: caFile } : {}),
    };
    const cluster = new TestCluster(redis, sim, prefix, env);
    for (let i = 0; i < (options.coordinators ?? 1); i++) await cluster.addCoordinator();
    for (let i = 0; i < (options.workers ?? 1); i++) await cluster.addWorker();
    return cluster;
  }

  async addCoordinator(): Promise<SpawnedApp> {
    const id = `coord-${this.coordinators.length + 1}`;
    const app = await spawnApp('coordinator', { env: { ...this.env, INSTANCE_ID: id }, label: id });
    this.coordinators.push(app);
    return app;
  }

  async addWorker(extra: Record<string, string> = {}): Promise<SpawnedApp> {
    const id = extra.INSTANCE_ID ?? `worker-${++this.workerSeq}`;
    const app = await spawnApp('worker', {
      env: { ...this.env, ...extra, INSTANCE_ID: id },
      label: id,
    });
    this.workers.push(app);
    return app;
  }

  /** Creates `count` sessions already paired in the sim (creds written to the auth store), desired running. */
  async addPairedSessions(count: number, idPrefix = 's'): Promise<PairedSession[]> {
    const out: PairedSession[] = [];
    for (let i = 0; i < count; i++) {
      const sessionId = `${idPrefix}${i + 1}`;
      const phone = await this.sim.control.createPhone({ name: `Phone ${sessionId}` });
      // Reporting prekeys on the server spares each login an 812-key upload (CPU the tests do not need to spend).
      const device = await this.sim.control.createPairedDevice(phone.number, {
        reportPreKeyCount: 100,
      });
      const handle = await this.auth.open(sessionId, { fence: 0 });
      Object.assign(handle.state.creds, device.creds);
      await handle.saveCreds();
      await this.records.create({ id: sessionId, kind: 'baileys' });
      out.push({ sessionId, phone: phone.number, deviceJid: device.deviceJid });
    }
    return out;
  }

  async sessions(): Promise<SessionRecord[]> {
    return this.records.list();
  }

  /** Waits until every listed session is open; returns the records. The timeout error lists what was not. */
  async waitAllOpen(
    ids: string[],
    options: { timeoutMs?: number; notOn?: string[] } = {},
  ): Promise<SessionRecord[]> {
    let last: SessionRecord[] = [];
    const good = (r: SessionRecord) =>
      r.state === 'open' && r.owner !== undefined && !(options.notOn ?? []).includes(r.owner);
    try {
      return await until(
        async () => {
          const recs = await this.records.list();
          last = recs.filter((r) => ids.includes(r.id));
          return last.length === ids.length && last.every(good) ? last : undefined;
        },
        {
          timeoutMs: options.timeoutMs ?? 60_000,
          intervalMs: 100,
          what: `${ids.length} sessions open`,
        },
      );
    } catch (err) {
      const bad = last
        .filter((r) => !good(r))
        .map((r) => `${r.id}=${r.state}@${r.owner ?? '-'}(${r.lastReason ?? ''})`);
      throw new Error(`${(err as Error).message}; not open: ${bad.join(', ')}`);
    }
  }

  async assignments(): Promise<Record<string, string>> {
    return this.client.hgetall(this.keys.assignments());
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.workers, ...this.coordinators].map((a) => a.stop(5000).catch(() => undefined)),
    );
    this.client.disconnect();
    await this.sim.stop();
    await this.redis.stop();
  }
}

/** Counts per owner. */
export function ownerCounts(records: SessionRecord[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of records) if (r.owner) m.set(r.owner, (m.get(r.owner) ?? 0) + 1);
  return m;
}
