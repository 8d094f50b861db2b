// `pnpm bench auth-store`: a send burst against the Redis auth state store on a local redis-server.
// Prints human-readable lines, then one JSON line with the figures.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  closeRedis,
  createKeys,
  createRedis,
  startLocalRedis,
  type RedisClient,
} from '@wafleet/redis';
import { createRedisAuthStateStore } from '../redis-auth-state-store.js';

const SETS = 2000;
const EXTRA_SETS_FOR_COUNTING = 200;
const PRELOADED_SESSIONS = 2000;
const PRELOADED_PRE_KEYS = 800;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** Commands Redis has executed so far (scripts' inner commands included; INFO itself left out). */
async function commandCalls(redis: RedisClient): Promise<number> {
  let total = 0;
  for (const line of (await redis.info('commandstats')).split(/\r?\n/)) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (m?.[1] && m[1] !== 'info') total += Number(m[2]);
  }
  return total;
}

/** 1–3 random picks from `ids`. */
function pick(ids: string[]): string[] {
  const count = 1 + Math.floor(Math.random() * 3);
  return Array.from({ length: count }, () => ids[Math.floor(Math.random() * ids.length)] as string);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wafleet-bench-auth-'));
  // AOF everysec, as the single-machine run command uses.
  const server = await startLocalRedis({ dir, persistence: 'aof' });
  const redis = createRedis({ url: server.url });
  const probe = createRedis({ url: server.url });
  try {
    const keys = createKeys('bench');
    const keyring = { currentKeyId: 'k1', keys: new Map([['k1', randomBytes(32)]]) };
    const store = createRedisAuthStateStore({ redis, keys, keyring });
    const sessionId = 'bench1';
    const fence = await probe.incr(keys.fence(sessionId));
    const auth = await store.open(sessionId, { fence });
    await auth.saveCreds();

    // A session of realistic size: signal sessions with contacts' devices, pre-keys, group keys.
    const contactIds = Array.from({ length: PRELOADED_SESSIONS }, (_, i) => `49151${100000 + i}.0`);
    const groups = Array.from({ length: 100 }, (_, i) => `1203630${i}@g.us::49151000000::0`);
    for (let i = 0; i < contactIds.length; i += 500) {
      const batch: Record<string, Buffer> = {};
      for (const id of contactIds.slice(i, i + 500)) batch[id] = randomBytes(1200);
      await auth.state.keys.set({ session: batch });
    }
    const preKeys: Record<string, { public: Buffer; private: Buffer }> = {};
    for (let i = 1; i <= PRELOADED_PRE_KEYS; i++) {
      preKeys[String(i)] = { public: randomBytes(33), private: randomBytes(32) };
    }
    const senderKeys: Record<string, Buffer> = {};
    for (const g of groups) senderKeys[g] = randomBytes(400);
    await auth.state.keys.set({ 'pre-key': preKeys, 'sender-key': senderKeys });
    const sessionFields = await probe.hlen(keys.authKeys(sessionId));

    const burstSet = () => {
      const sessions: Record<string, Buffer> = {};
      for (const id of pick(contactIds)) sessions[id] = randomBytes(1200);
      const data: Parameters<typeof auth.state.keys.set>[0] = { session: sessions };
      if (Math.random() < 0.3)
        data['sender-key'] = { [pick(groups)[0] as string]: randomBytes(400) };
      return data;
    };

    const getMs: number[] = [];
    const setMs: number[] = [];
    const credsMs: number[] = [];
    const started = performance.now();
    for (let i = 0; i < SETS; i++) {
      let t = performance.now();
      await auth.state.keys.get('session', pick(contactIds));
      getMs.push(performance.now() - t);
      t = performance.now();
      await auth.state.keys.set(burstSet());
      setMs.push(performance.now() - t);
      if (i % 20 === 0) {
        auth.state.creds.nextPreKeyId = i;
        t = performance.now();
        await auth.saveCreds();
        credsMs.push(performance.now() - t);
      }
    }
    const burstSeconds = (performance.now() - started) / 1000;

    // Commands per keys.set, from INFO commandstats around sets alone.
    const before = await commandCalls(probe);
    for (let i = 0; i < EXTRA_SETS_FOR_COUNTING; i++) await auth.state.keys.set(burstSet());
    const after = await commandCalls(probe);
    const cmdsPerSet = (after - before) / EXTRA_SETS_FOR_COUNTING;
    const getBefore = await commandCalls(probe);
    for (let i = 0; i < EXTRA_SETS_FOR_COUNTING; i++)
      await auth.state.keys.get('session', pick(contactIds));
    const cmdsPerGet = ((await commandCalls(probe)) - getBefore) / EXTRA_SETS_FOR_COUNTING;

    for (const list of [getMs, setMs, credsMs]) list.sort((a, b) => a - b);
    const ops = getMs.length + setMs.length + credsMs.length;
    const result = {
      bench: 'auth-store',
      get_p50_ms: round(percentile(getMs, 50)),
      get_p99_ms: round(percentile(getMs, 99)),
      set_p50_ms: round(percentile(setMs, 50)),
      set_p99_ms: round(percentile(setMs, 99)),
      creds_p50_ms: round(percentile(credsMs, 50)),
      creds_p99_ms: round(percentile(credsMs, 99)),
      redis_cmds_per_set: cmdsPerSet,
      redis_cmds_per_get: cmdsPerGet,
      ops,
      ops_per_second: Math.round(ops / burstSeconds),
      session_fields: sessionFields,
    };
    process.stdout.write(
      `auth-store: ${SETS} keys.set (1-3 sessions, 30% + a sender key) and ${SETS} keys.get (1-3 ids) ` +
        `on a session of ${sessionFields} fields, ${credsMs.length} saveCreds; redis ${server.url} (AOF everysec)\n`,
    );
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await closeRedis(redis);
    await closeRedis(probe);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `auth-store bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
