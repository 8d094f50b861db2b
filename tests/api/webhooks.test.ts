import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeys, publishSessionEvent, type Keys } from '@wafleet/redis';
import {
  startTestRedis,
  uniquePrefix,
  until,
  type SpawnedApp,
  type TestRedis,
} from '@wafleet/test-support';
import { ApiClient, spawnApi, startReceiver, type Receiver } from './api-harness.js';

const SECRET = 'receiver-secret-0123456789abcdef';

function expectedSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

describe('webhooks (real api process, Redis stream, BullMQ, local receiver)', () => {
  let redis: TestRedis;
  let api: SpawnedApp;
  let http: ApiClient;
  let keys: Keys;
  let receiver: Receiver;
  let seq = 0;

  beforeAll(async () => {
    redis = await startTestRedis();
    const prefix = uniquePrefix('wh');
    keys = createKeys(prefix);
    api = await spawnApi({
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      WEBHOOK_MAX_ATTEMPTS: '3',
    });
    http = new ApiClient(api.baseUrl);
    receiver = await startReceiver();
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
    await receiver?.close();
    await redis?.stop();
  });

  async function sessionWithWebhook(
    events?: string[],
    secret: string | undefined = SECRET,
  ): Promise<string> {
    const id = `wh${++seq}`;
    const res = await http.call('POST', '/v1/sessions', {
      body: {
        id,
        start: false,
        webhook: {
          url: receiver.url,
          ...(secret ? { secret } : {}),
          ...(events ? { events } : {}),
        },
      },
    });
    expect(res.status).toBe(201);
    return id;
  }

  const publish = (sessionId: string, type: string, data: Record<string, unknown>) =>
    publishSessionEvent(redis.client, keys, { sessionId, type, data });

  const requestsFor = (sessionId: string) =>
    receiver.requests.filter(
      (r) => (JSON.parse(r.body) as { session: string }).session === sessionId,
    );

  it('delivers signed events with unique, stable ids and the documented body', async () => {
    receiver.respond = () => 200;
    const id = await sessionWithWebhook();
    const published = [
      await publish(id, 'session.status', { state: 'open', previous: 'connecting' }),
      await publish(id, 'message.received', {
        id: 'ABC',
        from: '15550001111@s.whatsapp.net',
        fromMe: false,
      }),
      await publish(id, 'message.sent', {
        jobId: `${id}.3EB0000000000000000001`,
        messageId: '3EB0000000000000000001',
      }),
    ];
    await until(() => requestsFor(id).length >= 3, { timeoutMs: 15_000, what: '3 deliveries' });
    const got = requestsFor(id);
    expect(got).toHaveLength(3);
    const ids = new Set<string>();
    for (const r of got) {
      const body = JSON.parse(r.body) as {
        id: string;
        session: string;
        type: string;
        timestamp: string;
        data: unknown;
      };
      expect(Object.keys(body).sort()).toEqual(['data', 'id', 'session', 'timestamp', 'type']);
      expect(r.headers['x-wafleet-event-id']).toBe(body.id);
      expect(r.headers['content-type']).toBe('application/json');
      const ts = String(r.headers['x-wafleet-timestamp']);
      expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(60);
      expect(r.headers['x-wafleet-signature']).toBe(expectedSignature(SECRET, ts, r.body));
      // A receiver with the wrong secret must not be able to verify it.
      expect(r.headers['x-wafleet-signature']).not.toBe(
        expectedSignature('another-secret-000000000000', ts, r.body),
      );
      expect(Number.isNaN(Date.parse(body.timestamp))).toBe(false);
      ids.add(body.id);
    }
    expect(ids).toEqual(new Set(published));
  });

  it('a receiver answering 500 twice gets the same event on the third try', async () => {
    const id = await sessionWithWebhook(['message.status']);
    let calls = 0;
    receiver.respond = (r) =>
      (JSON.parse(r.body) as { session: string }).session === id && ++calls <= 2 ? 500 : 200;
    const eventId = await publish(id, 'message.status', {
      messageId: '3EB0000000000000000002',
      status: 'delivered',
    });
    await until(() => requestsFor(id).length >= 3, { timeoutMs: 20_000, what: 'three attempts' });
    const tries = requestsFor(id);
    expect(tries).toHaveLength(3);
    for (const t of tries) {
      expect(t.headers['x-wafleet-event-id']).toBe(eventId);
      expect(t.body).toBe(tries[0]!.body);
      expect(t.headers['x-wafleet-signature']).toBe(
        expectedSignature(SECRET, String(t.headers['x-wafleet-timestamp']), t.body),
      );
    }
    // Exponential backoff: the second gap is longer than the first (100 ms, then 200 ms base).
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThan(tries[1]!.at - tries[0]!.at - 50);
    const dead = await http.call('GET', '/v1/webhooks/dead-letters');
    expect(
      (dead.body as { deadLetters: { eventId: string }[] }).deadLetters.map((d) => d.eventId),
    ).not.toContain(eventId);
  });

  it('a receiver that always fails ends in the dead-letter set after WEBHOOK_MAX_ATTEMPTS', async () => {
    const id = await sessionWithWebhook(['message.failed']);
    receiver.respond = (r) =>
      (JSON.parse(r.body) as { session: string }).session === id ? 503 : 200;
    const eventId = await publish(id, 'message.failed', {
      messageId: '3EB0000000000000000003',
      reason: 'invalid_recipient',
    });
    const dead = await until(
      async () => {
        const res = await http.call('GET', '/v1/webhooks/dead-letters');
        return (
          res.body as {
            deadLetters: { eventId: string; attempts: number; error: string; sessionId: string }[];
          }
        ).deadLetters.find((d) => d.eventId === eventId);
      },
      { timeoutMs: 20_000, what: 'dead letter' },
    );
    expect(dead.attempts).toBe(3);
    expect(dead.sessionId).toBe(id);
    expect(dead.error).toContain('503');
    expect(requestsFor(id)).toHaveLength(3);
    expect(new Set(requestsFor(id).map((r) => r.headers['x-wafleet-event-id']))).toEqual(
      new Set([eventId]),
    );
  });

  it('delivers only the subscribed event types, and generates a secret shown once', async () => {
    receiver.respond = () => 200;
    const id = `wh${++seq}`;
    const created = await http.call('POST', '/v1/sessions', {
      body: { id, start: false, webhook: { url: receiver.url, events: ['message.status'] } },
    });
    expect(created.status).toBe(201);
    const secret = (created.body as { webhookSecret?: string }).webhookSecret;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const shown = await http.call('GET', `/v1/sessions/${id}`);
    expect(shown.text).not.toContain(secret!);
    expect((shown.body as { webhook: unknown }).webhook).toEqual({
      url: receiver.url,
      events: ['message.status'],
    });
    await publish(id, 'session.status', { state: 'qr' });
    const wanted = await publish(id, 'message.status', {
      messageId: '3EB0000000000000000004',
      status: 'read',
    });
    await until(() => requestsFor(id).length >= 1, { timeoutMs: 15_000, what: 'one delivery' });
    // The status event was published first; had it been delivered, it would have arrived by now.
    await until(() => requestsFor(id).some((r) => r.headers['x-wafleet-event-id'] === wanted));
    expect(requestsFor(id).map((r) => (JSON.parse(r.body) as { type: string }).type)).toEqual([
      'message.status',
    ]);
    const r = requestsFor(id)[0]!;
    expect(r.headers['x-wafleet-signature']).toBe(
      expectedSignature(secret!, String(r.headers['x-wafleet-timestamp']), r.body),
    );
  });

  it('stops delivering when the webhook is removed', async () => {
    receiver.respond = () => 200;
    const id = await sessionWithWebhook(['session.status']);
    await publish(id, 'session.status', { state: 'connecting' });
    await until(() => requestsFor(id).length === 1, { what: 'first delivery' });
    expect(
      (await http.call('PATCH', `/v1/sessions/${id}`, { body: { webhook: null } })).status,
    ).toBe(200);
    await publish(id, 'session.status', { state: 'qr' });
    // A marker on another session proves the dispatcher has moved past the second event.
    const marker = await sessionWithWebhook(['session.status']);
    await publish(marker, 'session.status', { state: 'open' });
    await until(() => requestsFor(marker).length === 1, { what: 'marker delivery' });
    expect(requestsFor(id)).toHaveLength(1);
  });
});
