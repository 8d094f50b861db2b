import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createKeys } from './keys.js';
import { startLocalRedis, type LocalRedisServer } from './local-redis-server.js';
import { publishSessionEvent, readSessionEvents } from './session-events.js';
import { SessionRecords } from './session-records.js';

describe('session records and events (real Redis)', () => {
  let server: LocalRedisServer;
  let redis: Redis;
  const dir = mkdtempSync(join(tmpdir(), 'wafleet-records-'));
  const keys = createKeys('rec');
  beforeAll(async () => {
    server = await startLocalRedis({ dir });
    redis = new Redis(server.url);
  });
  afterEach(async () => {
    await redis.flushall();
  });
  afterAll(async () => {
    redis.disconnect();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates once, lists, updates status and never resurrects a deleted record', async () => {
    const records = new SessionRecords(redis, keys);
    expect(await records.create({ id: 's1', kind: 'baileys', name: 'Shop' })).toBe(true);
    expect(await records.create({ id: 's1', kind: 'cloud' })).toBe(false);
    await records.create({ id: 's2', kind: 'cloud', desired: 'stopped', settings: { rate: 5 } });
    await records.setStatus('s1', {
      state: 'open',
      since: 123,
      owner: 'w1',
      me: '1555:1@s.whatsapp.net',
    });
    const s1 = await records.get('s1');
    expect(s1).toMatchObject({
      id: 's1',
      kind: 'baileys',
      name: 'Shop',
      desired: 'running',
      state: 'open',
      stateSince: 123,
      owner: 'w1',
    });
    expect((await records.list()).map((r) => [r.id, r.kind, r.desired, r.settings])).toEqual([
      ['s1', 'baileys', 'running', {}],
      ['s2', 'cloud', 'stopped', { rate: 5 }],
    ]);
    expect(await records.delete('s1')).toBe(true);
    await records.setStatus('s1', { state: 'open', since: 1 });
    expect(await records.get('s1')).toBeUndefined();
    expect(await redis.exists(keys.session('s1'))).toBe(0);
    // A Redis without the script cached (e.g. after a restart) still works.
    await redis.script('FLUSH');
    await records.setStatus('s2', { state: 'connecting', since: 5 });
    expect((await records.get('s2'))?.state).toBe('connecting');
    // Fenced: only the current lease holder's report is written.
    await redis.set(keys.lease('s2'), 'w2:7');
    expect(
      await records.setStatus(
        's2',
        { state: 'stopped', since: 9, owner: 'w1' },
        { leaseValue: 'w1:6' },
      ),
    ).toBe(false);
    expect(
      await records.setStatus(
        's2',
        { state: 'open', since: 10, owner: 'w2' },
        { leaseValue: 'w2:7' },
      ),
    ).toBe(true);
    expect(await records.get('s2')).toMatchObject({ state: 'open', owner: 'w2' });
  });

  it('appends to and reads from the capped event stream with a cursor', async () => {
    const first = await publishSessionEvent(redis, keys, {
      sessionId: 's1',
      type: 'session.status',
      data: { state: 'open' },
    });
    await publishSessionEvent(redis, keys, {
      sessionId: 's2',
      type: 'message.received',
      data: { id: 'M1' },
    });
    const all = await readSessionEvents(redis, keys);
    expect(all.map((e) => [e.sessionId, e.type, e.data])).toEqual([
      ['s1', 'session.status', { state: 'open' }],
      ['s2', 'message.received', { id: 'M1' }],
    ]);
    const after = await readSessionEvents(redis, keys, { cursor: first });
    expect(after.map((e) => e.type)).toEqual(['message.received']);
  });
});
