import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@wafleet/core';
import { createMetricsRegistry, createWafleetMetrics } from '@wafleet/metrics';
import { WorkerRegistry } from '@wafleet/ownership';
import { createKeys, readSessionEvents, SessionRecords, type SessionRecord } from '@wafleet/redis';
import { until, uniquePrefix, useRedis } from '@wafleet/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import {
  alertCandidates,
  nextAlerts,
  SessionMonitor,
  signAlert,
  type AlertBook,
  type AlertCandidate,
  type MonitorMemory,
} from './session-monitor.js';

const rec = (id: string, state: string, stateSince: number): SessionRecord => ({
  id,
  kind: 'baileys',
  name: id,
  desired: 'running',
  createdAt: 0,
  state,
  stateSince,
  settings: {},
});

const T = { sessionDownAfterMs: 1000, queueStuckAfterMs: 1000, workerDeadAfterMs: 500 };

describe('alertCandidates', () => {
  const memory = (): MonitorMemory => ({ downSince: new Map(), queue: new Map() });
  it.each([
    ['open session: nothing', 'open', 0, []],
    ['down less than the threshold: present, not ripe', 'reconnecting', 9500, [false]],
    ['down past the threshold: ripe', 'reconnecting', 8000, [true]],
    ['logged_out: ripe at once', 'logged_out', 9999, [true]],
    ['conflict: ripe at once', 'conflict', 9999, [true]],
  ] as const)('%s', (_name, state, since, ripe) => {
    const got = alertCandidates(
      {
        now: 10_000,
        records: [rec('a', state, since)],
        workers: [],
        assignments: {},
        queues: new Map(),
      },
      memory(),
      T,
    );
    expect(got.map((c) => c.ripe)).toEqual(ripe);
  });

  it('bridges connecting → reconnecting (the record since resets, down since does not)', () => {
    const m = memory();
    const obs = (state: string, since: number, now: number) => ({
      now,
      records: [rec('a', state, since)],
      workers: [],
      assignments: {},
      queues: new Map(),
    });
    alertCandidates(obs('connecting', 1000, 1000), m, T);
    const got = alertCandidates(obs('reconnecting', 1900, 2100), m, T);
    expect(got[0]).toMatchObject({ since: 1000, ripe: true, kind: 'session_down' });
  });

  it('a queue that does not shrink is stuck; one that shrinks is not', () => {
    const m = memory();
    const obs = (waiting: number, now: number) => ({
      now,
      records: [rec('a', 'open', 0)],
      workers: [],
      assignments: {},
      queues: new Map([['a', { waiting, delayed: 0, failed: 0 }]]),
    });
    expect(alertCandidates(obs(3, 0), m, T)).toEqual([]);
    expect(alertCandidates(obs(5, 600), m, T)).toEqual([]);
    expect(alertCandidates(obs(6, 1200), m, T).map((c) => c.kind)).toEqual(['queue_stuck']);
    expect(alertCandidates(obs(2, 1800), m, T)).toEqual([]);
  });

  it('a worker past the dead threshold is gone', () => {
    const got = alertCandidates(
      {
        now: 10_000,
        records: [],
        workers: [
          { workerId: 'w1', lastHeartbeatMs: 9800, draining: false },
          { workerId: 'w2', lastHeartbeatMs: 9000, draining: false },
        ],
        assignments: {},
        queues: new Map(),
      },
      memory(),
      T,
    );
    expect(got.map((c) => c.id)).toEqual(['worker:w2']);
  });
});

describe('nextAlerts (hysteresis)', () => {
  const cand = (ripe: boolean): AlertCandidate => ({
    id: 'session:a',
    kind: 'session_down',
    sessionId: 'a',
    since: 0,
    detail: 'session a is reconnecting',
    ripe,
  });
  it('opens once, keeps open while flapping, resolves once after being clear long enough', () => {
    const book: AlertBook = { open: new Map(), clearSince: new Map() };
    // [time, candidate present (ripe?) or null for clear] → expected opened/resolved counts
    const steps: [number, boolean | null, number, number][] = [
      [0, false, 0, 0],
      [100, true, 1, 0],
      [200, true, 0, 0],
      [300, null, 0, 0], // flap: open again briefly
      [400, false, 0, 0], // down again (not ripe yet, but the open alert stays)
      [500, null, 0, 0],
      [900, null, 0, 0],
      [1600, null, 0, 1], // clear for 1100 ≥ 1000
      [1700, null, 0, 0],
    ];
    for (const [now, c, opened, resolved] of steps) {
      const t = nextAlerts(book, c === null ? [] : [cand(c)], now, 1000);
      expect([now, t.opened.length, t.resolved.length]).toEqual([now, opened, resolved]);
    }
  });
});

describe('SessionMonitor (real Redis, real webhook receiver)', () => {
  const redis = useRedis();
  const logger = createLogger({ role: 'coordinator', level: 'silent' });
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
  });

  async function receiver() {
    const got: { body: string; headers: IncomingHttpHeaders }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        got.push({ body, headers: req.headers });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    stops.push(() => new Promise<void>((r) => server.close(() => r())));
    return { got, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
  }

  function setup(url: string) {
    const keys = createKeys(uniquePrefix('mon'));
    const records = new SessionRecords(redis.current.client, keys);
    const metrics = createWafleetMetrics(
      createMetricsRegistry({ role: 'coordinator', instance_id: 'c1' }),
    );
    const monitor = new SessionMonitor({
      logger,
      redis: redis.current.client,
      keys,
      records,
      registry: new WorkerRegistry({ redis: redis.current.client, keys, deadAfterMs: 1000 }),
      metrics,
      isLeader: () => true,
      intervalMs: 50,
      thresholds: { sessionDownAfterMs: 600, queueStuckAfterMs: 60_000, workerDeadAfterMs: 1000 },
      resolveAfterMs: 500,
      webhook: { url, secret: 'a-very-secret-alert-key' },
    });
    stops.push(() => monitor.stop());
    const setState = (id: string, state: string) =>
      redis.current.client.hset(keys.session(id), { state, stateSince: String(Date.now()) });
    return { keys, records, metrics, monitor, setState };
  }

  it('a session down past the threshold: one signed alert, then one resolved message; events and the Redis hash follow', async () => {
    const hook = await receiver();
    const { keys, records, metrics, monitor, setState } = setup(hook.url);
    await records.create({ id: 'a', kind: 'baileys' });
    await setState('a', 'open');
    monitor.start();
    await setState('a', 'reconnecting');
    await until(() => hook.got.length === 1, { timeoutMs: 10_000, what: 'alert webhook' });
    const first = hook.got[0]!;
    const body = JSON.parse(first.body) as { text: string; alert: Record<string, unknown> };
    expect(body.text).toContain('session a is reconnecting');
    expect(body.alert).toMatchObject({ id: 'session:a', kind: 'session_down', status: 'opened' });
    const ts = Number(first.headers['x-wafleet-timestamp']);
    expect(first.headers['x-wafleet-signature']).toBe(
      signAlert('a-very-secret-alert-key', ts, first.body),
    );
    expect(Object.keys(await redis.current.client.hgetall(keys.alerts()))).toEqual(['session:a']);
    expect((await metrics.sessionAlerts.get()).values).toContainEqual(
      expect.objectContaining({ labels: { kind: 'session_down' }, value: 1 }),
    );
    // Stays down: no second alert over several passes.
    const passes = async (n: number) => {
      for (let i = 0; i < n; i++) await monitor.pass();
    };
    await passes(5);
    expect(hook.got).toHaveLength(1);
    await setState('a', 'open');
    await until(() => hook.got.length === 2, { timeoutMs: 10_000, what: 'resolved webhook' });
    expect(JSON.parse(hook.got[1]!.body)).toMatchObject({
      alert: { id: 'session:a', status: 'resolved' },
    });
    expect(await redis.current.client.hgetall(keys.alerts())).toEqual({});
    const events = await readSessionEvents(redis.current.client, keys, { cursor: '0' });
    expect(events.filter((e) => e.type.startsWith('alert.')).map((e) => e.type)).toEqual([
      'alert.opened',
      'alert.resolved',
    ]);
    await passes(5);
    expect(hook.got).toHaveLength(2);
  });

  it('a flapping session (down shorter than the threshold, over and over) sends nothing', async () => {
    const hook = await receiver();
    const { records, monitor, setState } = setup(hook.url);
    await records.create({ id: 'f', kind: 'baileys' });
    for (let i = 0; i < 8; i++) {
      await setState('f', 'reconnecting');
      await monitor.pass();
      await new Promise((r) => setTimeout(r, 200)); // simulated time down: shorter than 600 ms
      await monitor.pass();
      await setState('f', 'open');
      await monitor.pass();
    }
    await monitor.stop();
    expect(hook.got).toEqual([]);
  });
});
