import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WafleetClient } from '@wafleet/client';
import { startFakeGraph, type FakeGraph } from '@wafleet/cloud-api/fake';
import { TestCluster } from '@wafleet/cluster-harness';
import { until, type SpawnedApp } from '@wafleet/test-support';
import { ApiClient, spawnApi, startReceiver, type Receiver } from './api-harness.js';

const APP = { appId: '4242', appSecret: 'app-secret-0123456789abcdef' };
const VERIFY = 'verify-token-0123';
const token = (name: string) => `EAAtest${name}${'x'.repeat(40)}`;

describe('Cloud API sessions (real api, coordinator and worker processes, Redis, fake Graph)', () => {
  let fake: FakeGraph;
  let cluster: TestCluster;
  let api: SpawnedApp;
  let http: ApiClient;
  let receiver: Receiver;
  let client: WafleetClient;
  const tokens: string[] = [];
  let phoneSeq = 0;

  beforeAll(async () => {
    fake = await startFakeGraph({ app: APP });
    cluster = await TestCluster.start({
      workers: 1,
      // Token checks run when a session starts (and when its token is replaced): enough here.
      env: { CLOUD_TOKEN_CHECK_INTERVAL_MS: '3600000' },
    });
    api = await spawnApi({ REDIS_URL: cluster.redis.url, REDIS_KEY_PREFIX: cluster.prefix });
    http = new ApiClient(api.baseUrl);
    receiver = await startReceiver();
    client = new WafleetClient({ redisUrl: cluster.redis.url, prefix: cluster.prefix });
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    await api?.stop();
    await cluster?.stop();
    await receiver?.close();
    await fake?.close();
  });

  /** Creates a cloud session through HTTP with its own phone number id and token; waits for open. */
  async function createCloud(
    id: string,
    options: {
      tokenType?: 'system_user' | 'user';
      expiresAt?: number;
      rateLimit?: { max: number; durationMs: number };
      webhook?: boolean;
    } = {},
  ): Promise<{ phoneNumberId: string; accessToken: string }> {
    const accessToken = token(id);
    tokens.push(accessToken);
    fake.addToken(accessToken, {
      type: options.tokenType === 'user' ? 'USER' : 'SYSTEM_USER',
      expiresAt: options.expiresAt ?? 0,
    });
    const phoneNumberId = String(1065550000 + ++phoneSeq);
    const res = await http.call('POST', '/v1/sessions', {
      body: {
        id,
        kind: 'cloud',
        cloud: {
          phoneNumberId,
          accessToken,
          tokenType: options.tokenType ?? 'system_user',
          ...APP,
          webhookVerifyToken: VERIFY,
          baseUrl: fake.url,
          graphVersion: 'v21.0',
        },
        ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
        ...(options.webhook
          ? { webhook: { url: receiver.url, secret: 'receiver-secret-0123456789' } }
          : {}),
      },
    });
    expect(res.status).toBe(201);
    expect(res.text).not.toContain(accessToken);
    expect(res.text).not.toContain(APP.appSecret);
    expect((res.body as { cloud: { phoneNumberId: string } }).cloud.phoneNumberId).toBe(
      phoneNumberId,
    );
    await until(async () => (await cluster.records.get(id))?.state === 'open', {
      what: `${id} open`,
      timeoutMs: 20_000,
    });
    return { phoneNumberId, accessToken };
  }

  const sentFrom = (phoneNumberId: string) =>
    fake.messages().filter((m) => m.phoneNumberId === phoneNumberId);
  const sendCalls = (phoneNumberId: string) =>
    fake.requests.filter(
      (r) => r.method === 'POST' && r.path === `/v21.0/${phoneNumberId}/messages`,
    );
  const events = async (sessionId: string, type: string) =>
    (await cluster.client.xrange(cluster.keys.events(), '-', '+'))
      .filter(([, f]) => f[1] === sessionId && f[3] === type)
      .map(([id, f]) => ({ id, data: JSON.parse(f[7]!) as Record<string, unknown> }));

  it('sends text, template, image by link and a reply through HTTP and the producer client: exact Graph payloads, Bearer token, wamids in the results', async () => {
    const { phoneNumberId, accessToken } = await createCloud('c-send');
    const first = await http.call('POST', '/v1/sessions/c-send/messages', {
      body: { to: '+15550001111', content: { type: 'text', text: 'hello from the api' } },
    });
    expect(first.status).toBe(202);
    const textJob = first.body as { jobId: string; messageId: string };
    const template = await client.send('c-send', '+15550001111', {
      type: 'template',
      name: 'order_update',
      language: 'en_US',
      components: [{ type: 'body', parameters: [{ type: 'text', text: '42' }] }],
    });
    const image = await http.call('POST', '/v1/sessions/c-send/messages', {
      body: {
        to: '+15550001111',
        content: { type: 'image', url: 'https://media.example.test/cat.png', caption: 'a cat' },
      },
    });
    expect(image.status).toBe(202);
    const imageJob = image.body as { jobId: string; messageId: string };
    const reply = await client.send('c-send', '+15550001111', {
      type: 'text',
      text: 'replying',
      replyTo: textJob.messageId,
    });
    const jobs = [textJob, template, imageJob, reply];
    for (const j of jobs) await client.waitUntilSent('c-send', j.jobId, 20_000);

    const sent = sentFrom(phoneNumberId);
    expect(sent.map((m) => m.body)).toEqual([
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '15550001111',
        type: 'text',
        text: { body: 'hello from the api', preview_url: false },
      },
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '15550001111',
        type: 'template',
        template: {
          name: 'order_update',
          language: { code: 'en_US' },
          components: [{ type: 'body', parameters: [{ type: 'text', text: '42' }] }],
        },
      },
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '15550001111',
        type: 'image',
        image: { link: 'https://media.example.test/cat.png', caption: 'a cat' },
      },
      {
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: '15550001111',
        type: 'text',
        text: { body: 'replying', preview_url: false },
        // A reply to our own message names it by its Graph id.
        context: { message_id: sent[0]!.wamid },
      },
    ]);
    for (const call of sendCalls(phoneNumberId)) {
      expect(call.headers.authorization).toBe(`Bearer ${accessToken}`);
    }
    for (const [i, j] of jobs.entries()) {
      const status = await http.call('GET', `/v1/jobs/${j.jobId}`);
      expect(status.body).toMatchObject({ status: 'sent', providerMessageId: sent[i]!.wamid });
    }
  });

  it('a template on a baileys session, or mentions on a cloud session, are refused at enqueue naming the field', async () => {
    expect(
      (await http.call('POST', '/v1/sessions', { body: { id: 'b-plain', start: false } })).status,
    ).toBe(201);
    const t = await http.call('POST', '/v1/sessions/b-plain/messages', {
      body: { to: '+15550001111', content: { type: 'template', name: 'x', language: 'en' } },
    });
    expect(t.status).toBe(400);
    expect(t.text).toContain('body.content.type');
    const m = await http.call('POST', '/v1/sessions/c-send/messages', {
      body: {
        to: '+15550001111',
        content: { type: 'text', text: 'x', mentions: ['+15550002222'] },
      },
    });
    expect(m.status).toBe(400);
    expect(m.text).toContain('body.content.mentions');
    const group = await http.call('POST', '/v1/sessions/c-send/messages', {
      body: { to: '120363025246125486@g.us', content: { type: 'text', text: 'x' } },
    });
    expect(group.status).toBe(400);
    expect(group.text).toContain('body.to');
    const long = await http.call('POST', '/v1/sessions/c-send/messages', {
      body: { to: '+15550001111', content: { type: 'text', text: 'x'.repeat(4097) } },
    });
    expect(long.status).toBe(400);
    expect(long.text).toContain('4096');
  });

  it('130429 on three sends: those jobs retry and succeed, in order; 131047 fails at once with reengagement_window', async () => {
    const { phoneNumberId } = await createCloud('c-limits');
    fake.failNext(130429, { count: 3 });
    const jobs = [];
    for (let i = 0; i < 3; i++) {
      jobs.push(await client.send('c-limits', '+15550001111', { type: 'text', text: `t${i}` }));
    }
    for (const j of jobs) await client.waitUntilSent('c-limits', j.jobId, 60_000);
    const calls = sendCalls(phoneNumberId);
    expect(calls).toHaveLength(6);
    expect(sentFrom(phoneNumberId).map((m) => (m.body.text as { body: string }).body)).toEqual([
      't0',
      't1',
      't2',
    ]);

    fake.failNext(131047);
    const late = await client.send('c-limits', '+15550001111', { type: 'text', text: 'late' });
    await expect(client.waitUntilSent('c-limits', late.jobId, 20_000)).rejects.toMatchObject({
      reason: 'reengagement_window',
      attemptsMade: 1,
    });
    expect(sendCalls(phoneNumberId)).toHaveLength(7);
    const status = await http.call('GET', `/v1/jobs/${late.jobId}`);
    expect(status.body).toMatchObject({ status: 'failed', reason: 'reengagement_window' });
  });

  it('190: the session goes to token_invalid, its queue waits, an alert is raised, no more Graph calls; a new token resumes it', async () => {
    const { phoneNumberId, accessToken } = await createCloud('c-token');
    const cursor = `${Date.now() - 1}-0`;
    fake.revokeToken(accessToken);
    const a = await client.send('c-token', '+15550001111', { type: 'text', text: 'a' });
    const b = await client.send('c-token', '+15550001111', { type: 'text', text: 'b' });
    await until(async () => (await cluster.records.get('c-token'))?.state === 'token_invalid', {
      what: 'token_invalid',
      timeoutMs: 20_000,
    });
    expect((await events('c-token', 'session.token_invalid')).length).toBeGreaterThan(0);
    const callsAtRefusal = sendCalls(phoneNumberId).length;
    // The session monitor raises its alert a tick later: by then the worker would have retried.
    const alert = await until(
      async () =>
        (await cluster.client.xrange(cluster.keys.events(), `(${cursor}`, '+')).find(
          ([, f]) => f[1] === 'c-token' && f[3] === 'alert.opened',
        ),
      { what: 'an alert for c-token', timeoutMs: 30_000 },
    );
    expect(alert[1][7]).toContain('token_invalid');
    expect(sendCalls(phoneNumberId)).toHaveLength(callsAtRefusal);
    expect(callsAtRefusal).toBeLessThanOrEqual(1);
    for (const j of [a, b]) {
      expect(['waiting', 'active', 'prioritized']).toContain(
        (await client.getStatus(j.jobId))?.state,
      );
    }

    // Changing something else keeps the refused token refused: still no calls.
    const other = await http.call('PATCH', '/v1/sessions/c-token/cloud', {
      body: { graphVersion: 'v21.0' },
    });
    expect(other.status).toBe(200);
    expect((other.body as { cloud: { token: { isValid: boolean } } }).cloud.token.isValid).toBe(
      false,
    );
    await until(
      async () =>
        (await cluster.client.xrange(cluster.keys.events(), `(${cursor}`, '+')).some(
          ([, f]) => f[1] === 'c-token' && f[3] === 'session.settings_applied',
        ),
      { what: 'the config change applied' },
    );
    expect((await cluster.records.get('c-token'))?.state).toBe('token_invalid');
    expect(sendCalls(phoneNumberId)).toHaveLength(callsAtRefusal);

    const fresh = token('c-token-2');
    tokens.push(fresh);
    fake.addToken(fresh);
    const patched = await http.call('PATCH', '/v1/sessions/c-token/cloud', {
      body: { accessToken: fresh },
    });
    expect(patched.status).toBe(200);
    expect(patched.text).not.toContain(fresh);
    for (const j of [a, b]) await client.waitUntilSent('c-token', j.jobId, 20_000);
    expect((await cluster.records.get('c-token'))?.state).toBe('open');
    const sent = sentFrom(phoneNumberId);
    expect(sent.map((m) => (m.body.text as { body: string }).body)).toEqual(['a', 'b']);
    const resumed = sendCalls(phoneNumberId).slice(callsAtRefusal);
    expect(resumed.map((c) => c.headers.authorization)).toEqual([
      `Bearer ${fresh}`,
      `Bearer ${fresh}`,
    ]);
  });

  it('a user token near expiry is exchanged for a long-lived one and used from then on', async () => {
    const renewed = token('c-user-renewed');
    tokens.push(renewed);
    fake.exchangeResult({ accessToken: renewed, expiresInSeconds: 60 * 24 * 3600 });
    const { phoneNumberId, accessToken } = await createCloud('c-user', {
      tokenType: 'user',
      expiresAt: Date.now() + 2 * 24 * 3600_000,
    });
    await until(async () => (await events('c-user', 'session.token_refreshed')).length > 0, {
      what: 'token refreshed',
      timeoutMs: 20_000,
    });
    const exchange = fake.requests.find(
      (r) => r.path.endsWith('/oauth/access_token') && r.query.fb_exchange_token === accessToken,
    );
    expect(exchange?.query).toMatchObject({
      grant_type: 'fb_exchange_token',
      client_id: APP.appId,
    });
    const job = await client.send('c-user', '+15550001111', { type: 'text', text: 'renewed' });
    await client.waitUntilSent('c-user', job.jobId, 20_000);
    expect(sendCalls(phoneNumberId).at(-1)?.headers.authorization).toBe(`Bearer ${renewed}`);
    const view = await http.call('GET', '/v1/sessions/c-user');
    const expiresAt = (view.body as { cloud: { token: { expiresAt: number } } }).cloud.token
      .expiresAt;
    expect(expiresAt).toBeGreaterThan(Date.now() + 50 * 24 * 3600_000);
    expect(view.text).not.toContain(renewed);
  });

  it('a failed refresh keeps the old token in place and raises an alert event', async () => {
    fake.failExchange(1);
    const { phoneNumberId, accessToken } = await createCloud('c-user-fail', {
      tokenType: 'user',
      expiresAt: Date.now() + 2 * 24 * 3600_000,
    });
    const failed = await until(
      async () => (await events('c-user-fail', 'session.token_refresh_failed'))[0],
      { what: 'refresh failed event', timeoutMs: 20_000 },
    );
    expect(JSON.stringify(failed.data)).not.toContain(accessToken);
    const job = await client.send('c-user-fail', '+15550001111', { type: 'text', text: 'old' });
    await client.waitUntilSent('c-user-fail', job.jobId, 20_000);
    expect(sendCalls(phoneNumberId).at(-1)?.headers.authorization).toBe(`Bearer ${accessToken}`);
  });

  it('webhooks: verification handshake; a signed inbound message gives one event and one outgoing webhook, repeats and bad signatures give nothing; statuses move the message record', async () => {
    const { phoneNumberId } = await createCloud('c-hook', { webhook: true });
    const hookUrl = `${api.baseUrl}/v1/cloud/c-hook/webhook`;
    const verify = (tokenValue: string) =>
      fetch(
        `${hookUrl}?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(tokenValue)}&hub.challenge=1158201444`,
      );
    const ok = await verify(VERIFY);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toBe('1158201444');
    expect((await verify('wrong-token')).status).toBe(403);

    const inbound = (id: string, text: string) =>
      fake.inboundTextPayload({ phoneNumberId, from: '15550003333', id, text });
    const post = (payload: unknown, signature: 'valid' | 'wrong' | 'none' = 'valid') =>
      fake.postWebhook(hookUrl, payload, { appSecret: APP.appSecret, signature });
    const hooksWith = (text: string) =>
      receiver.requests.filter((r) => r.body.includes('message.received') && r.body.includes(text));

    expect((await post(inbound('wamid.IN1', 'first inbound'))).status).toBe(200);
    expect((await post(inbound('wamid.IN1', 'first inbound'))).status).toBe(200);
    expect((await post(inbound('wamid.BAD1', 'unsigned'), 'none')).status).toBe(401);
    expect((await post(inbound('wamid.BAD2', 'wrongly signed'), 'wrong')).status).toBe(401);
    // A later delivery: once it is through, everything before it has been handled.
    expect((await post(inbound('wamid.IN2', 'second inbound'))).status).toBe(200);
    await until(() => hooksWith('second inbound').length === 1, {
      what: 'the second webhook',
      timeoutMs: 20_000,
    });
    const received = await events('c-hook', 'message.received');
    expect(received.map((e) => e.data.id)).toEqual(['wamid.IN1', 'wamid.IN2']);
    expect(received[0]!.data).toMatchObject({
      from: '15550003333@s.whatsapp.net',
      message: { conversation: 'first inbound' },
    });
    expect(hooksWith('first inbound')).toHaveLength(1);
    expect(hooksWith('unsigned')).toHaveLength(0);
    expect(hooksWith('wrongly signed')).toHaveLength(0);

    const job = await client.send('c-hook', '+15550001111', { type: 'text', text: 'track me' });
    await client.waitUntilSent('c-hook', job.jobId, 20_000);
    const wamid = sentFrom(phoneNumberId).at(-1)!.wamid;
    const status = (s: 'delivered' | 'read') =>
      post(fake.statusPayload({ phoneNumberId, id: wamid, status: s, recipientId: '15550001111' }));
    expect((await status('delivered')).status).toBe(200);
    await until(
      async () =>
        (
          (await http.call('GET', `/v1/sessions/c-hook/messages/${job.messageId}`)).body as {
            status: string;
          }
        ).status === 'delivered',
      { what: 'delivered', timeoutMs: 20_000 },
    );
    expect((await status('read')).status).toBe(200);
    expect((await status('read')).status).toBe(200);
    await until(
      async () =>
        (
          (await http.call('GET', `/v1/sessions/c-hook/messages/${job.messageId}`)).body as {
            status: string;
          }
        ).status === 'read',
      { what: 'read', timeoutMs: 20_000 },
    );
    const statusEvents = (await events('c-hook', 'message.status')).filter(
      (e) => e.data.messageId === job.messageId,
    );
    expect(statusEvents.map((e) => e.data.status)).toEqual(['delivered', 'read']);
  });

  it('a delivery that could not be handled is handled when Meta retries it', async () => {
    const { phoneNumberId } = await createCloud('c-retry');
    const hookUrl = `${api.baseUrl}/v1/cloud/c-retry/webhook`;
    const payload = fake.inboundTextPayload({
      phoneNumberId,
      from: '15550004444',
      id: 'wamid.RETRY1',
      text: 'retried',
    });
    // Make the event stream unwritable for one delivery.
    const events = cluster.keys.events();
    await cluster.client.rename(events, `${events}:aside`);
    await cluster.client.set(events, 'not a stream');
    const failed = await fake.postWebhook(hookUrl, payload, { appSecret: APP.appSecret });
    await cluster.client.del(events);
    await cluster.client.rename(`${events}:aside`, events);
    expect(failed.status).toBe(500);
    const retried = await fake.postWebhook(hookUrl, payload, { appSecret: APP.appSecret });
    expect(retried.status).toBe(200);
    const received = (await cluster.client.xrange(events, '-', '+')).filter(
      ([, f]) => f[1] === 'c-retry' && f[3] === 'message.received',
    );
    expect(received).toHaveLength(1);
  });

  it('2,000 queued sends on one cloud session never exceed its configured rate at Graph (any 1 s window)', async () => {
    const max = 100;
    const { phoneNumberId } = await createCloud('c-rate', {
      rateLimit: { max, durationMs: 1000 },
    });
    await http.call('POST', '/v1/sessions/c-rate/stop');
    await until(async () => (await cluster.records.get('c-rate'))?.state === 'stopped', {
      what: 'c-rate stopped',
    });
    for (let i = 0; i < 2000; i++) {
      await client.send('c-rate', '+15550001111', { type: 'text', text: `n${i}` });
    }
    await http.call('POST', '/v1/sessions/c-rate/start');
    await until(() => sentFrom(phoneNumberId).length === 2000, {
      what: '2000 sends at the fake',
      timeoutMs: 120_000,
    });
    const at = sendCalls(phoneNumberId).map((r) => r.at);
    let busiest = 0;
    for (let i = 0, j = 0; i < at.length; i++) {
      while (at[i]! - at[j]! >= 1000) j++;
      busiest = Math.max(busiest, i - j + 1);
    }
    expect(busiest).toBeLessThanOrEqual(max);
    const seconds = (at.at(-1)! - at[0]!) / 1000;
    expect(seconds).toBeGreaterThanOrEqual((2000 - max) / max);
    const bodies = sentFrom(phoneNumberId).map((m) => (m.body.text as { body: string }).body);
    expect(bodies).toEqual(Array.from({ length: 2000 }, (_, i) => `n${i}`));
  }, 180_000);

  it('the worker exports cloud sessions by kind, Graph calls by status and code, and the token expiry', async () => {
    const worker = cluster.workers[0]!;
    await until(
      async () =>
        /wafleet_sessions\{[^}]*kind="cloud"[^}]*\} [1-9]/.test(
          await (await fetch(`${worker.baseUrl}/metrics`)).text(),
        ),
      { what: 'cloud sessions in the worker metrics' },
    );
    const text = await (await fetch(`${worker.baseUrl}/metrics`)).text();
    expect(text).toMatch(/wafleet_cloud_api_calls_total\{[^}]*status="200"[^}]*\} [1-9]/);
    expect(text).toMatch(/wafleet_cloud_api_calls_total\{[^}]*code="131047"[^}]*\} 1/);
    // The earliest dated token is c-user-fail's (2 days left): in the future, within 3 days.
    const expiry = Number(
      /^wafleet_cloud_token_expiry_timestamp_seconds(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1],
    );
    expect(expiry * 1000).toBeGreaterThan(Date.now());
    expect(expiry * 1000).toBeLessThan(Date.now() + 3 * 24 * 3600_000);
  });

  it('deleting a cloud session: its owner confirms the logout, and only the fence counter stays in Redis', async () => {
    const { accessToken } = await createCloud('c-delete');
    const res = await http.call('DELETE', '/v1/sessions/c-delete');
    expect(res.status).toBe(200);
    // Confirmed by the owner (a missing confirmation would be waited for, then reported false).
    expect(res.body).toEqual({ id: 'c-delete', deleted: true, loggedOut: true });
    expect((await http.call('GET', '/v1/sessions/c-delete')).status).toBe(404);
    // Only the fence counter stays, so a session re-created under this id still gets newer fences.
    const left = await cluster.client.keys(`${cluster.prefix}:*c-delete*`);
    expect(left).toEqual([cluster.keys.fence('c-delete')]);
    expect(await cluster.client.get(cluster.keys.fence('c-delete'))).not.toContain(accessToken);
  });

  it('no token or app secret in logs, API answers, metrics or Redis', async () => {
    const secrets = [...tokens, APP.appSecret];
    const logs = [api, ...cluster.workers, ...cluster.coordinators].flatMap((p) => p.lines);
    const metrics = await Promise.all(
      [api, ...cluster.workers].map(async (p) => (await fetch(`${p.baseUrl}/metrics`)).text()),
    );
    const answers = [
      (await http.call('GET', '/v1/sessions')).text,
      (await http.call('GET', '/v1/sessions/c-send')).text,
      (await http.call('GET', '/v1/events?cursor=0&wait=0')).text,
    ];
    const raw: string[] = [];
    const r = cluster.client;
    const keys = await r.keys(`${cluster.prefix}:*`);
    const types = (await r.pipeline(keys.map((k) => ['type', k])).exec())!.map(
      ([, t]) => t as string,
    );
    const reads = r.pipeline();
    for (const [i, key] of keys.entries()) {
      const type = types[i];
      if (type === 'string') reads.getBuffer(key);
      else if (type === 'hash') reads.hgetallBuffer(key);
      else if (type === 'list') reads.lrange(key, 0, -1);
      else if (type === 'set') reads.smembers(key);
      else if (type === 'zset') reads.zrange(key, 0, -1);
      else if (type === 'stream') reads.xrange(key, '-', '+');
    }
    for (const [, value] of (await reads.exec())!) {
      if (Buffer.isBuffer(value)) raw.push(value.toString('latin1'));
      else if (Array.isArray(value)) raw.push(JSON.stringify(value));
      else if (value && typeof value === 'object') {
        raw.push(
          ...Object.values(value as Record<string, Buffer>).map((v) => v.toString('latin1')),
        );
      }
    }
    expect(raw.length).toBeGreaterThan(100);
    for (const secret of secrets) {
      for (const text of [...logs, ...metrics, ...answers, ...raw]) {
        expect(text.includes(secret)).toBe(false);
      }
    }
  });
});
