import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiConfigSchema, createLogger, loadConfig } from '@wafleet/core';
import { createMetricsRegistry } from '@wafleet/metrics';
import {
  closeRedis,
  createKeys,
  createRedis,
  publishSessionEvent,
  SessionRecords,
  type Keys,
  type RedisClient,
} from '@wafleet/redis';
import { uniquePrefix, until, useRedis } from '@wafleet/test-support';
import { buildApi } from './build-api.js';

const ADMIN = 'admin-key-for-tests-'.padEnd(48, 'z');
const KEYRING = `k1:${Buffer.alloc(32, 5).toString('base64')}`;
const auth = { authorization: `Bearer ${ADMIN}` };

describe('buildApi (in process, real Redis)', () => {
  const server = useRedis();
  let app: FastifyInstance;
  let redis: RedisClient;
  let keys: Keys;
  let records: SessionRecords;
  const extra: RedisClient[] = [];

  beforeEach(async () => {
    const url = server.current.url;
    redis = createRedis({ url, role: 'command' });
    keys = createKeys(uniquePrefix('api'));
    records = new SessionRecords(redis, keys);
    const config = loadConfig(apiConfigSchema, {
      REDIS_URL: url,
      ENCRYPTION_KEYS: KEYRING,
      API_ADMIN_KEY: ADMIN,
      WEBHOOK_ALLOWLIST: '127.0.0.1',
      API_BODY_LIMIT_BYTES: '2048',
    });
    app = await buildApi({
      redis,
      keys,
      config,
      logger: createLogger({ role: 'api', level: 'silent' }),
      registry: createMetricsRegistry({ role: 'api', instance_id: 'test' }),
      instanceId: 'api-test',
      webhooks: false,
      timings: { pairingTimeoutMs: 500, logoutWaitMs: 500 },
      connect: () => createRedis({ url, role: 'blocking' }),
    });
    await until(
      async () => (await app.inject({ url: '/readyz', headers: auth })).statusCode === 200,
      {
        what: 'api ready',
      },
    );
  });
  afterEach(async () => {
    await app.close();
    await Promise.all([redis, ...extra.splice(0)].map((c) => closeRedis(c)));
  });

  /** A stand-in for the worker that owns `sessionId`: holds its lease and answers commands. */
  async function fakeWorker(
    workerId: string,
    sessionId: string,
    answer: (command: Record<string, string>) => Promise<void> | void,
  ): Promise<Record<string, string>[]> {
    await redis.set(keys.lease(sessionId), `${workerId}:7`, 'PX', 30_000);
    const sub = createRedis({ url: server.current.url, role: 'subscriber' });
    extra.push(sub);
    const seen: Record<string, string>[] = [];
    sub.on('message', (_channel: string, payload: string) => {
      const command = JSON.parse(payload) as Record<string, string>;
      seen.push(command);
      void answer(command);
    });
    await sub.subscribe(keys.workerChannel(workerId));
    return seen;
  }

  const post = (url: string, payload?: unknown, key: string = ADMIN) =>
    app.inject({
      method: 'POST',
      url,
      headers: { authorization: `Bearer ${key}` },
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });

  it('manages API keys: shown once, scoped, listed without secrets, revoked', async () => {
    const created = await post('/v1/api-keys', { name: 'producer', scopes: ['send'] });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json<{ id: string; key: string }>();
    expect(key).toMatch(/^wfk_[0-9a-f]{16}_/);
    expect((await post('/v1/sessions', { id: 's1' }, key)).statusCode).toBe(403);
    expect((await post('/v1/sessions', { id: 's1' })).statusCode).toBe(201);
    const send = await post(
      '/v1/sessions/s1/messages',
      { to: '+15551234567', content: { type: 'text', text: 'hi' } },
      key,
    );
    expect(send.statusCode).toBe(202);
    const listed = await app.inject({ url: '/v1/api-keys', headers: auth });
    expect(listed.body).not.toContain(key);
    expect(listed.json<{ keys: { id: string; revokedAt: string | null }[] }>().keys).toEqual([
      expect.objectContaining({ id, revokedAt: null }),
    ]);
    expect(
      (await app.inject({ method: 'DELETE', url: `/v1/api-keys/${id}`, headers: auth })).statusCode,
    ).toBe(200);
    const after = await post(
      '/v1/sessions/s1/messages',
      { to: '+15551234567', content: { type: 'text', text: 'hi' } },
      key,
    );
    expect(after.statusCode).toBe(401);
  });

  it('creates, lists, changes, stops and starts sessions', async () => {
    const created = await post('/v1/sessions', {
      id: 'shop-1',
      name: 'Shop',
      webhook: { url: 'http://127.0.0.1:9/hook', secret: 'x'.repeat(20) },
      rateLimit: { max: 2, durationMs: 1000 },
    });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe('/v1/sessions/shop-1');
    expect(created.json()).toMatchObject({
      id: 'shop-1',
      name: 'Shop',
      desired: 'running',
      state: 'stopped',
      rateLimit: { max: 2, durationMs: 1000 },
    });
    expect(created.body).not.toContain('x'.repeat(20));
    // The secret is stored encrypted.
    expect(await redis.hget(keys.session('shop-1'), 'settings')).not.toContain('x'.repeat(20));
    expect((await post('/v1/sessions', { id: 'shop-1' })).statusCode).toBe(409);
    const patched = await app.inject({
      method: 'PATCH',
      url: '/v1/sessions/shop-1',
      headers: auth,
      payload: { name: 'Shop 2', rateLimit: null },
    });
    expect(patched.json()).toMatchObject({
      name: 'Shop 2',
      rateLimit: null,
      webhook: { url: 'http://127.0.0.1:9/hook' },
    });
    expect((await post('/v1/sessions/shop-1/stop')).json()).toMatchObject({ desired: 'stopped' });
    expect((await records.get('shop-1'))?.desired).toBe('stopped');
    expect((await post('/v1/sessions/shop-1/start')).json()).toMatchObject({ desired: 'running' });
    await records.setStatus('shop-1', {
      state: 'open',
      since: Date.now(),
      owner: 'w1',
      me: '15551230000:4@s.whatsapp.net',
      code: 515,
      reason: 'restart required',
    });
    const list = await app.inject({ url: '/v1/sessions?state=open', headers: auth });
    expect(list.json()).toEqual({
      sessions: [
        expect.objectContaining({
          id: 'shop-1',
          owner: 'w1',
          phone: '+15551230000',
          lastDisconnect: { code: 515, reason: 'restart required' },
        }),
      ],
    });
    expect((await app.inject({ url: '/v1/sessions?state=qr', headers: auth })).json()).toEqual({
      sessions: [],
    });
  });

  it('serves the newest QR while the state is qr, as JSON or PNG, and never otherwise', async () => {
    await post('/v1/sessions', { id: 'q1', start: false });
    await publishSessionEvent(redis, keys, {
      sessionId: 'q1',
      type: 'session.qr',
      data: { qr: 'old-qr' },
    });
    expect((await app.inject({ url: '/v1/sessions/q1/qr', headers: auth })).statusCode).toBe(409);
    await records.setStatus('q1', { state: 'qr', since: Date.now() });
    await publishSessionEvent(redis, keys, {
      sessionId: 'q2',
      type: 'session.qr',
      data: { qr: 'other-session' },
    });
    await publishSessionEvent(redis, keys, {
      sessionId: 'q1',
      type: 'session.qr',
      data: { qr: 'new-qr' },
    });
    const json = await app.inject({ url: '/v1/sessions/q1/qr', headers: auth });
    expect(json.statusCode).toBe(200);
    expect(json.headers['cache-control']).toBe('no-store');
    expect(json.json()).toMatchObject({
      qr: 'new-qr',
      dataUrl: expect.stringMatching(/^data:image\/png;base64,/) as string,
    });
    const png = await app.inject({
      url: '/v1/sessions/q1/qr',
      headers: { ...auth, accept: 'image/png' },
    });
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.rawPayload.subarray(0, 4).toString('hex')).toBe('89504e47');
    await records.setStatus('q1', { state: 'open', since: Date.now() });
    expect((await app.inject({ url: '/v1/sessions/q1/qr', headers: auth })).json()).toMatchObject({
      error: { code: 'QR_NOT_AVAILABLE' },
    });
  });

  it('answers a pairing code only once the owner reports it, and reports failures', async () => {
    await post('/v1/sessions', { id: 'p1' });
    expect(
      (await post('/v1/sessions/p1/pairing-code', { phone: '+15551234567' })).json(),
    ).toMatchObject({ error: { code: 'SESSION_NOT_OWNED' } });
    let fail = false;
    const seen = await fakeWorker('w1', 'p1', async (cmd) => {
      const type = fail ? 'session.pairing_code_failed' : 'session.pairing_code';
      // An answer to someone else's request first: it must not be taken for ours.
      await publishSessionEvent(redis, keys, {
        sessionId: 'p1',
        type,
        data: { code: 'WRONG000', requestId: 'other' },
      });
      await publishSessionEvent(redis, keys, {
        sessionId: 'p1',
        type,
        data: fail
          ? { reason: 'rejected: 400', requestId: cmd.requestId }
          : { code: 'ABCD1234', requestId: cmd.requestId },
      });
    });
    const ok = await post('/v1/sessions/p1/pairing-code', { phone: '+15551234567' });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ code: 'ABCD1234' });
    expect(seen[0]).toMatchObject({ type: 'pairing_code', sessionId: 'p1', phone: '15551234567' });
    fail = true;
    const refused = await post('/v1/sessions/p1/pairing-code', { phone: '+15551234567' });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      error: { code: 'PAIRING_FAILED', details: { reason: 'rejected: 400' } },
    });
    // An owner that never answers: 504 after the timeout, not a hang.
    fail = false;
    await fakeWorker('w-silent', 'p1', () => undefined);
    const silent = await post('/v1/sessions/p1/pairing-code', { phone: '+15551234567' });
    expect(silent.statusCode).toBe(504);
    expect(silent.json()).toMatchObject({ error: { code: 'PAIRING_TIMEOUT' } });
    // A lease held by a worker that listens on no channel.
    await redis.set(keys.lease('p1'), 'w-gone:8', 'PX', 30_000);
    expect((await post('/v1/sessions/p1/pairing-code', { phone: '+15551234567' })).statusCode).toBe(
      503,
    );
  });

  it('coalesces concurrent restarts into one command', async () => {
    await post('/v1/sessions', { id: 'r1' });
    const seen = await fakeWorker('w1', 'r1', () => undefined);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => post('/v1/sessions/r1/restart')),
    );
    expect(answers.every((a) => a.statusCode === 202)).toBe(true);
    expect(answers.filter((a) => !a.json<{ coalesced: boolean }>().coalesced)).toHaveLength(1);
    await until(() => seen.length === 1);
    expect(seen).toEqual([{ type: 'restart', sessionId: 'r1' }]);
  });

  it('a PATCH of the send rate tells the owner to apply it; a name change does not', async () => {
    await post('/v1/sessions', { id: 'pr1' });
    const seen = await fakeWorker('w1', 'pr1', () => undefined);
    const patch = (payload: object) =>
      app.inject({ method: 'PATCH', url: '/v1/sessions/pr1', headers: auth, payload });
    expect((await patch({ name: 'renamed' })).statusCode).toBe(200);
    const changed = await patch({ rateLimit: { max: 5, durationMs: 1000 } });
    expect(changed.statusCode).toBe(200);
    await until(() => seen.length === 1);
    expect(seen).toEqual([{ type: 'reload_settings', sessionId: 'pr1' }]);
    expect((await records.get('pr1'))!.settings.rateLimit).toEqual({ max: 5, durationMs: 1000 });
  });

  it('deletes an owned session after the owner confirms the logout, then wipes what is left', async () => {
    await post('/v1/sessions', { id: 'd1' });
    const seen = await fakeWorker('w1', 'd1', async (cmd) => {
      if (cmd.type !== 'logout') return;
      await redis.del(keys.authCreds('d1'));
      await publishSessionEvent(redis, keys, {
        sessionId: 'd1',
        type: 'session.status',
        data: { state: 'logged_out' },
      });
      await redis.del(keys.lease('d1'));
    });
    await redis.set(keys.authCreds('d1'), 'creds');
    await redis.hset(keys.message('d1', '3EB0000000000000000001'), 'status', 'queued');
    await redis.set(`${keys.queuePrefix('d1')}:send:id`, '3');
    await redis.set(keys.fence('d1'), '7');
    const res = await app.inject({ method: 'DELETE', url: '/v1/sessions/d1', headers: auth });
    expect(res.json()).toEqual({ id: 'd1', deleted: true, loggedOut: true });
    expect(seen).toEqual([{ type: 'logout', sessionId: 'd1' }]);
    expect(await records.get('d1')).toBeUndefined();
    // Only the fence survives: it must never go back.
    expect(await redis.keys(keys.sessionPattern('d1'))).toEqual([keys.fence('d1')]);
  });

  it('deletes an owned session whose owner never confirms: waits, then wipes by itself', async () => {
    await post('/v1/sessions', { id: 'd3' });
    const seen = await fakeWorker('w1', 'd3', async () => {
      // The owner takes the command but dies before answering: its lease goes away.
      await redis.del(keys.lease('d3'));
    });
    await redis.set(keys.authCreds('d3'), 'creds');
    const res = await app.inject({ method: 'DELETE', url: '/v1/sessions/d3', headers: auth });
    expect(res.json()).toEqual({ id: 'd3', deleted: true, loggedOut: false });
    expect(seen).toEqual([{ type: 'logout', sessionId: 'd3' }]);
    expect(await redis.exists(keys.authCreds('d3'))).toBe(0);
  });

  it('deletes a session nobody owns by wiping its auth state directly', async () => {
    await post('/v1/sessions', { id: 'd2', start: false });
    await redis.set(keys.authCreds('d2'), 'creds');
    await redis.hset(keys.authKeys('d2'), 'pre-key:1', 'x');
    const res = await app.inject({ method: 'DELETE', url: '/v1/sessions/d2', headers: auth });
    expect(res.json()).toEqual({ id: 'd2', deleted: true, loggedOut: false });
    expect(await redis.exists(keys.authCreds('d2'), keys.authKeys('d2'))).toBe(0);
    expect(
      (await app.inject({ method: 'DELETE', url: '/v1/sessions/d2', headers: auth })).statusCode,
    ).toBe(404);
  });

  it('long-polls events with a cursor, filters and a wait', async () => {
    const ids = [
      await publishSessionEvent(redis, keys, {
        sessionId: 'e1',
        type: 'session.status',
        data: { state: 'qr' },
      }),
      await publishSessionEvent(redis, keys, {
        sessionId: 'e2',
        type: 'session.status',
        data: { state: 'open' },
      }),
      await publishSessionEvent(redis, keys, {
        sessionId: 'e1',
        type: 'session.qr',
        data: { qr: 'secret-qr' },
      }),
    ];
    const all = await app.inject({ url: '/v1/events?cursor=0', headers: auth });
    expect(all.json<{ events: { id: string }[]; cursor: string }>()).toEqual({
      events: ids.map((id) => expect.objectContaining({ id }) as unknown),
      cursor: ids[2],
    });
    const filtered = await app.inject({
      url: '/v1/events?cursor=0&session=e1&type=session.*&limit=1',
      headers: auth,
    });
    expect(filtered.json()).toEqual({
      events: [expect.objectContaining({ id: ids[0], session: 'e1' })],
      cursor: ids[0],
    });
    // A read-only key does not see QR strings.
    const { key } = (await post('/v1/api-keys', { name: 'reader', scopes: ['read'] })).json<{
      key: string;
    }>();
    const asReader = await app.inject({
      url: `/v1/events?cursor=${ids[1]}`,
      headers: { authorization: `Bearer ${key}` },
    });
    expect(asReader.body).not.toContain('secret-qr');
    // Nothing new: the wait runs out with the cursor unchanged.
    const started = Date.now();
    const empty = await app.inject({ url: `/v1/events?cursor=${ids[2]}&wait=1`, headers: auth });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(empty.json()).toEqual({ events: [], cursor: ids[2] });
    // Something new during the wait is returned at once.
    const pending = app.inject({
      url: `/v1/events?cursor=${ids[2]}&wait=10&type=message.status`,
      headers: auth,
    });
    await publishSessionEvent(redis, keys, {
      sessionId: 'e1',
      type: 'session.status',
      data: { state: 'open' },
    });
    const wanted = await publishSessionEvent(redis, keys, {
      sessionId: 'e1',
      type: 'message.status',
      data: { status: 'read' },
    });
    const got = await pending;
    expect(got.json()).toEqual({
      events: [expect.objectContaining({ id: wanted, type: 'message.status' })],
      cursor: wanted,
    });
  });

  it('streams events over SSE, resumes from Last-Event-ID, and ends open streams on close', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const first = await publishSessionEvent(redis, keys, {
      sessionId: 's1',
      type: 'session.status',
      data: { state: 'qr' },
    });
    const second = await publishSessionEvent(redis, keys, {
      sessionId: 's1',
      type: 'session.status',
      data: { state: 'open' },
    });
    const res = await fetch(`${base}/v1/events?session=s1`, {
      headers: { ...auth, accept: 'text/event-stream', 'last-event-id': first },
    });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.getReader();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString('utf8');
      }
    };
    await readUntil(`id: ${second}`);
    expect(text).not.toContain(`id: ${first}\n`);
    const live = await publishSessionEvent(redis, keys, {
      sessionId: 's1',
      type: 'message.status',
      data: { status: 'delivered' },
    });
    await readUntil(`id: ${live}`);
    expect(text).toContain('event: message.status');
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(3000);
    await readUntil('never');
    expect((await reader.read()).done).toBe(true);
  });

  it('guards ops routes, and answers errors in one shape', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({
      ok: true,
      role: 'api',
      instanceId: 'api-test',
    });
    for (const url of ['/readyz', '/metrics', '/docs', '/docs/json', '/nowhere']) {
      expect((await app.inject({ url })).statusCode, url).toBe(401);
    }
    const metrics = await app.inject({ url: '/metrics', headers: auth });
    expect(metrics.body).toContain('process_cpu_seconds_total');
    expect((await app.inject({ url: '/nowhere', headers: auth })).json()).toMatchObject({
      error: { code: 'NOT_FOUND' },
    });
    const wrongMethod = await app.inject({ method: 'DELETE', url: '/v1/sessions', headers: auth });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET, HEAD, POST');
    const big = await post('/v1/sessions', { id: 'x', name: 'n'.repeat(5000) });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({
      error: { code: 'BODY_TOO_LARGE', details: { limit: 2048 } },
    });
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"id":',
    });
    expect(bad.json()).toEqual({
      error: { code: 'BAD_JSON', message: 'the request body is not valid JSON', details: {} },
    });
  });
});
