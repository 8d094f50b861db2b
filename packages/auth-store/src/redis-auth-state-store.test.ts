import { randomBytes } from 'node:crypto';
import { closeRedis, createKeys, createRedis, type Keys, type RedisClient } from '@wafleet/redis';
import { uniquePrefix, useRedis } from '@wafleet/test-support';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nastyBuffer, runAuthStoreConformance } from './auth-store.conformance.js';
import type { AuthStateStore } from './auth-state-store.js';
import { createRedisAuthStateStore } from './redis-auth-state-store.js';

const redis = useRedis();

async function allKeys(client: Redis, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    found.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return found.sort();
}

runAuthStoreConformance('redis', () => {
  const keys = createKeys(uniquePrefix('auth'));
  const client = createRedis({ url: redis.current.url });
  const raw = redis.current.client;
  return {
    createStore: (options) => createRedisAuthStateStore({ ...options, redis: client, keys }),
    // What the ownership package does on every lease acquisition.
    advanceFence: (sessionId) => raw.incr(keys.fence(sessionId)),
    async rawValues() {
      const values: Buffer[] = [];
      for (const key of await allKeys(raw, `${keys.prefix}:*`)) {
        const type = await raw.type(key);
        if (type === 'string') values.push((await raw.getBuffer(key))!);
        else if (type === 'hash') {
          for (const [field, value] of Object.entries(await raw.hgetallBuffer(key))) {
            values.push(Buffer.from(field), value);
          }
        } else throw new Error(`unexpected ${type} key ${key}`);
      }
      return values;
    },
    async rawSession(sessionId) {
      const out = new Map<string, Buffer>();
      const creds = await raw.getBuffer(keys.authCreds(sessionId));
      if (creds) out.set('creds', creds);
      for (const [field, value] of Object.entries(
        await raw.hgetallBuffer(keys.authKeys(sessionId)),
      )) {
        out.set(field, value);
      }
      return out;
    },
    async copyRaw(from, to) {
      if (from.field === 'creds') {
        const value = await raw.getBuffer(keys.authCreds(from.sessionId));
        await raw.set(keys.authCreds(to.sessionId), value!);
      } else {
        const value = await raw.hgetBuffer(keys.authKeys(from.sessionId), from.field);
        await raw.hset(keys.authKeys(to.sessionId), to.field, value!);
      }
    },
    close: () => closeRedis(client),
  };
});

/** Calls per command name from INFO commandstats (commands run inside scripts included). */
async function commandCalls(client: Redis): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const line of (await client.info('commandstats')).split(/\r?\n/)) {
    const m = /^cmdstat_([^:]+):calls=(\d+)/.exec(line);
    if (m?.[1] && m[2]) counts.set(m[1], Number(m[2]));
  }
  return counts;
}

/**
 * The commands `run` made Redis execute (the INFO calls of the measurement excluded). EVAL and
 * EVALSHA count as `script`: ioredis sends EVAL the first time a connection runs a script.
 */
async function commandsDuring(
  client: Redis,
  run: () => Promise<unknown>,
): Promise<Record<string, number>> {
  const before = await commandCalls(client);
  await run();
  const after = await commandCalls(client);
  const delta: Record<string, number> = {};
  for (const [name, calls] of after) {
    const d = calls - (before.get(name) ?? 0) - (name === 'info' ? 1 : 0);
    const key = name === 'eval' || name === 'evalsha' ? 'script' : name;
    if (d > 0) delta[key] = (delta[key] ?? 0) + d;
  }
  return delta;
}

describe('redis auth state store', () => {
  let keys: Keys;
  let client: RedisClient;
  let store: AuthStateStore;
  const keyring = { currentKeyId: 'k1', keys: new Map([['k1', randomBytes(32)]]) };

  beforeEach(() => {
    keys = createKeys(uniquePrefix('auth'));
    client = createRedis({ url: redis.current.url });
    store = createRedisAuthStateStore({ redis: client, keys, keyring });
  });
  afterEach(async () => {
    await closeRedis(client);
  });

  it('uses the key schema: one creds value and one hash with <type>:<id> fields per session', async () => {
    const auth = await store.open('s1', { fence: 0 });
    await auth.saveCreds();
    await auth.state.keys.set({
      session: { '4915112345678.0': nastyBuffer(50) },
      'pre-key': { '7': { public: nastyBuffer(33), private: nastyBuffer(32) } },
    });
    const raw = redis.current.client;
    expect(await allKeys(raw, `${keys.prefix}:*`)).toEqual(
      [keys.authCreds('s1'), keys.authKeys('s1')].sort(),
    );
    expect(await raw.type(keys.authCreds('s1'))).toBe('string');
    expect((await raw.hkeys(keys.authKeys('s1'))).sort()).toEqual([
      'pre-key:7',
      'session:4915112345678.0',
    ]);
  });

  it('makes one keys.set one script whose command count depends on the call, not the session size', async () => {
    const raw = redis.current.client;
    const auth = await store.open('s1', { fence: 0 });
    await auth.state.keys.set({ session: { warm: nastyBuffer(10) } }); // loads the script
    const call = () =>
      auth.state.keys.set({
        session: { a: nastyBuffer(300), b: nastyBuffer(300) },
        'sender-key': { g: nastyBuffer(200) },
      });
    const small = await commandsDuring(raw, call);
    expect(small).toEqual({ script: 1, get: 1, hset: 1 });

    const bulk: Record<string, Buffer> = {};
    for (let i = 0; i < 5000; i++) bulk[`bulk${i}`] = nastyBuffer(40);
    const bulkCommands = await commandsDuring(raw, () => auth.state.keys.set({ session: bulk }));
    // 5,000 items: still one script; HSET in chunks of 500 pairs.
    expect(bulkCommands).toEqual({ script: 1, get: 1, hset: 10 });
    expect(await raw.hlen(keys.authKeys('s1'))).toBe(5004);

    expect(await commandsDuring(raw, call)).toEqual(small);
    expect(
      await commandsDuring(raw, () =>
        auth.state.keys.set({ session: { a: null, c: nastyBuffer(9) } }),
      ),
    ).toEqual({ script: 1, get: 1, hset: 1, hdel: 1 });
  });

  it('reads signal keys in one HMGET and writes creds with one SET inside one script', async () => {
    const raw = redis.current.client;
    const auth = await store.open('s1', { fence: 0 });
    await auth.saveCreds();
    await auth.state.keys.set({ session: { a: nastyBuffer(10), b: nastyBuffer(10) } });
    expect(
      await commandsDuring(raw, () => auth.state.keys.get('session', ['a', 'b', 'missing'])),
    ).toEqual({ hmget: 1 });
    expect(await commandsDuring(raw, () => auth.saveCreds())).toEqual({
      script: 1,
      get: 1,
      set: 1,
    });
    expect(await commandsDuring(raw, () => store.open('s1', { fence: 0 }))).toEqual({ get: 1 });
    expect(await commandsDuring(raw, () => store.exists('s1'))).toEqual({ exists: 1 });
    expect(await commandsDuring(raw, () => auth.wipe())).toEqual({ script: 1, get: 1, del: 1 });
  });

  it('refuses to write when the fence counter holds garbage rather than guessing', async () => {
    await redis.current.client.set(keys.fence('s1'), 'not-a-number');
    const auth = await store.open('s1', { fence: 3 });
    await expect(auth.saveCreds()).rejects.toThrow(/not an integer/);
    expect(await store.exists('s1')).toBe(false);
  });
});
