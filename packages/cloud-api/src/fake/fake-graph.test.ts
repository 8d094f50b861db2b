import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWebhook } from '../parse-webhook.js';
import { verifyWebhookSignature } from '../webhook-verification.js';
import { startFakeGraph, type FakeGraph } from './index.js';

const SECRET = 'a3f1c2d4e5b6a7980123456789abcdef';
const TOKEN = 'EAAGfake-graph-test-token-000000';

async function rawBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('fake Graph API', () => {
  let fake: FakeGraph;
  let receiver: Server;
  let receiverUrl: string;
  const received: { signed: boolean; header: string | undefined; body: unknown }[] = [];

  beforeAll(async () => {
    fake = await startFakeGraph({ validTokens: [TOKEN] });
    // A minimal webhook receiver: verifies the signature over the raw bytes, as apps/api must.
    receiver = createServer((req, res) => {
      void rawBody(req).then((raw) => {
        const header = req.headers['x-hub-signature-256'] as string | undefined;
        const signed = verifyWebhookSignature(raw, header, SECRET);
        received.push({ signed, header, body: JSON.parse(raw.toString('utf8')) as unknown });
        res.writeHead(signed ? 200 : 401).end(signed ? 'EVENT_RECEIVED' : 'bad signature');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/cloud`;
  });
  afterAll(async () => {
    await fake.close();
    await new Promise<void>((r) => receiver.close(() => r()));
  });

  it('posts webhooks signed right, wrong or not at all', async () => {
    const payload = fake.inboundTextPayload({
      phoneNumberId: '42',
      from: '4915112345678',
      id: 'wamid.in-1',
      text: 'hallo',
    });
    expect(await fake.postWebhook(receiverUrl, payload, { appSecret: SECRET })).toEqual({
      status: 200,
      body: 'EVENT_RECEIVED',
    });
    expect(
      (await fake.postWebhook(receiverUrl, payload, { appSecret: SECRET, signature: 'wrong' }))
        .status,
    ).toBe(401);
    expect(
      (await fake.postWebhook(receiverUrl, payload, { appSecret: SECRET, signature: 'none' }))
        .status,
    ).toBe(401);
    expect(received.map((r) => r.signed)).toEqual([true, false, false]);
    expect(received[2]!.header).toBeUndefined();
    expect(parseWebhook(received[0]!.body).messages[0]).toMatchObject({
      id: 'wamid.in-1',
      text: 'hallo',
    });
  });

  it('fails exactly `count` sends with the injected Graph error, then recovers', async () => {
    fake.failNext(131056, { count: 2, message: 'Pair rate limit hit' });
    const send = () =>
      fetch(`${fake.url}/v21.0/42/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          messaging_product: 'whatsapp',
          to: '15551234567',
          type: 'text',
          text: { body: 'x' },
        }),
      });
    const answers = [];
    for (let i = 0; i < 3; i += 1) {
      const res = await send();
      answers.push({ status: res.status, body: (await res.json()) as Record<string, unknown> });
    }
    expect(answers.map((a) => a.status)).toEqual([400, 400, 200]);
    expect(answers[0]!.body).toMatchObject({
      error: { code: 131056, message: 'Pair rate limit hit', type: 'OAuthException' },
    });
    expect(answers[2]!.body).toMatchObject({
      messaging_product: 'whatsapp',
      contacts: [{ input: '15551234567', wa_id: '15551234567' }],
      messages: [{ id: expect.stringMatching(/^wamid\./) as unknown }],
    });
  });

  it('answers unknown tokens, bad bodies and unknown paths like Graph', async () => {
    const post = (path: string, token: string, body: unknown) =>
      fetch(`${fake.url}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const unknown = await post('/v21.0/42/messages', 'EAAGnot-registered-000000', {});
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toMatchObject({ error: { code: 190, type: 'OAuthException' } });
    const noType = await post('/v21.0/42/messages', TOKEN, {
      messaging_product: 'whatsapp',
      to: '15551234567',
      type: 'image',
    });
    expect(noType.status).toBe(400);
    expect(await noType.json()).toMatchObject({ error: { code: 100 } });
    const nowhere = await fetch(`${fake.url}/v21.0/42/nothing`);
    expect(nowhere.status).toBe(400);
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v21.0/42/nothing' });
  });
});
