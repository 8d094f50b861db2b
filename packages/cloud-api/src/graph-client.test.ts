import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { classifySendError } from '@wafleet/queue';
import { startFakeGraph, type FakeGraph } from './fake/index.js';
import { GraphApiError } from './graph-api-error.js';
import { GraphClient, type GraphCallInfo } from './graph-client.js';
import { buildGraphMessage } from './graph-message.js';

const TOKEN = 'EAAGsystemusertoken0123456789abcdef';
const PNID = '106540352242922';
const APP = { appId: '1234567890', appSecret: 'a3f1c2d4e5b6a7980123456789abcdef' };

async function graphError(run: () => Promise<unknown>): Promise<GraphApiError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(GraphApiError);
    return err as GraphApiError;
  }
  throw new Error('expected a GraphApiError');
}

describe('GraphClient against the fake Graph API', () => {
  let fake: FakeGraph;
  let calls: GraphCallInfo[];
  let client: GraphClient;

  beforeAll(async () => {
    fake = await startFakeGraph({ validTokens: [TOKEN], app: APP });
  });
  afterAll(async () => {
    await fake.close();
  });
  afterEach(() => {
    fake.requests.length = 0;
  });

  function newClient(): GraphClient {
    calls = [];
    client = new GraphClient({
      baseUrl: `${fake.url}/`,
      version: 'v21.0',
      onCall: (info) => calls.push(info),
    });
    return client;
  }

  it('sends a message: exact path, headers and JSON body; returns the wamid', async () => {
    newClient();
    const body = buildGraphMessage({
      to: '15551234567@s.whatsapp.net',
      content: { type: 'text', text: 'hello' },
    });
    const result = await client.sendMessage(TOKEN, PNID, body);
    expect(result.wamid).toMatch(/^wamid\.[A-Za-z0-9+/=]+$/);
    expect(result.waId).toBe('15551234567');
    const [request] = fake.requests;
    expect(request).toMatchObject({
      method: 'POST',
      path: `/v21.0/${PNID}/messages`,
      query: {},
    });
    expect(request!.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(request!.headers['content-type']).toBe('application/json');
    expect(request!.body).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '15551234567',
      type: 'text',
      text: { body: 'hello', preview_url: false },
    });
    expect(fake.messages()).toEqual([
      expect.objectContaining({ phoneNumberId: PNID, wamid: result.wamid, body: request!.body }),
    ]);
    expect(calls).toEqual([{ op: 'send', httpStatus: 200 }]);
  });

  it('uploads media as multipart (messaging_product, type, file) and returns the media id', async () => {
    newClient();
    const bytes = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0]);
    const id = await client.uploadMedia(TOKEN, PNID, {
      bytes,
      mimetype: 'image/jpeg',
      fileName: 'photo.jpg',
    });
    expect(id).toMatch(/^\d+$/);
    const [request] = fake.requests;
    expect(request).toMatchObject({ method: 'POST', path: `/v21.0/${PNID}/media` });
    expect(request!.headers['authorization']).toBe(`Bearer ${TOKEN}`);
    expect(request!.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(request!.body).toEqual({
      messaging_product: 'whatsapp',
      type: 'image/jpeg',
      file: { fileName: 'photo.jpg', mimetype: 'image/jpeg', size: bytes.length },
    });
    const [upload] = fake.uploads().filter((u) => u.id === id);
    expect(upload).toMatchObject({
      phoneNumberId: PNID,
      mimetype: 'image/jpeg',
      fileName: 'photo.jpg',
    });
    expect(new Uint8Array(upload!.bytes)).toEqual(bytes);
    expect(calls).toEqual([{ op: 'upload', httpStatus: 200 }]);
  });

  it('exchanges a user token: query parameters as Graph documents them, expiry from expires_in', async () => {
    newClient();
    const userToken = 'EAAGusertoken-exchange-0123456789';
    fake.addToken(userToken, { type: 'USER', expiresAt: Date.now() + 3600_000 });
    fake.exchangeResult({
      accessToken: 'EAAGfreshlonglived0123456789abcdef',
      expiresInSeconds: 5_183_944,
    });
    const before = Date.now();
    const result = await client.exchangeToken({ ...APP, token: userToken });
    expect(result.accessToken).toBe('EAAGfreshlonglived0123456789abcdef');
    expect(result.expiresAt).toBeGreaterThanOrEqual(before + 5_183_944_000);
    expect(result.expiresAt).toBeLessThanOrEqual(Date.now() + 5_183_944_000);
    const [request] = fake.requests;
    expect(request).toMatchObject({
      method: 'GET',
      path: '/v21.0/oauth/access_token',
      query: {
        grant_type: 'fb_exchange_token',
        client_id: APP.appId,
        client_secret: APP.appSecret,
        fb_exchange_token: userToken,
      },
    });
    // The fresh token works for sends.
    await expect(
      client.sendMessage(
        result.accessToken,
        PNID,
        buildGraphMessage({
          to: '15551234567@s.whatsapp.net',
          content: { type: 'text', text: 'x' },
        }),
      ),
    ).resolves.toHaveProperty('wamid');
    fake.exchangeResult({});
  });

  it('debugs a token with the app token and maps expiry (unix s → ms, 0 = never)', async () => {
    newClient();
    const expiring = 'EAAGuser-debug-token-0123456789';
    const expiresAt = Math.floor((Date.now() + 5 * 86_400_000) / 1000) * 1000;
    fake.addToken(expiring, { type: 'USER', expiresAt, scopes: ['whatsapp_business_messaging'] });
    expect(await client.debugToken({ inputToken: expiring, ...APP })).toEqual({
      isValid: true,
      expiresAt,
      type: 'USER',
      scopes: ['whatsapp_business_messaging'],
    });
    expect(fake.requests[0]).toMatchObject({
      method: 'GET',
      path: '/v21.0/debug_token',
      query: { input_token: expiring, access_token: `${APP.appId}|${APP.appSecret}` },
    });
    expect(await client.debugToken({ inputToken: TOKEN, ...APP })).toMatchObject({
      isValid: true,
      expiresAt: 0,
      type: 'SYSTEM_USER',
    });
    expect(await client.debugToken({ inputToken: 'EAAGnever-heard-of-it-0000', ...APP })).toEqual({
      isValid: false,
      expiresAt: 0,
      scopes: [],
    });
    expect(calls.map((c) => c.op)).toEqual(['debug', 'debug', 'debug']);
  });

  it('parses Graph errors: code, subcode, fbtrace id, Retry-After; never the token in the message', async () => {
    newClient();
    fake.failNext(131047, { message: 'Re-engagement message' });
    const body = buildGraphMessage({
      to: '15551234567@s.whatsapp.net',
      content: { type: 'text', text: 'late' },
    });
    const reengage = await graphError(() => client.sendMessage(TOKEN, PNID, body));
    expect(reengage.name).toBe('GraphApiError');
    expect(reengage.message).toBe('Graph error 131047 (HTTP 400): Re-engagement message');
    expect(reengage).toMatchObject({ httpStatus: 400, graphCode: 131047 });
    expect(reengage.fbtraceId).toMatch(/^\S+$/);
    expect(classifySendError(reengage)).toMatchObject({
      reason: 'reengagement_window',
      kind: 'permanent',
    });

    fake.failNext(130429, {
      httpStatus: 429,
      subcode: 2494055,
      retryAfterSeconds: 7,
      message: 'Rate limit hit',
    });
    const limited = await graphError(() => client.sendMessage(TOKEN, PNID, body));
    expect(limited).toMatchObject({
      httpStatus: 429,
      graphCode: 130429,
      graphSubcode: 2494055,
      retryAfterMs: 7000,
    });
    expect(limited.message).toBe('Graph error 130429 (HTTP 429, subcode 2494055): Rate limit hit');
    expect(classifySendError(limited)).toMatchObject({
      reason: 'throughput_limited',
      retryAfterMs: 7000,
    });

    const revoked = 'EAAGrevoked-token-0123456789abc';
    fake.addToken(revoked);
    fake.revokeToken(revoked);
    const unauthorized = await graphError(() => client.sendMessage(revoked, PNID, body));
    expect(unauthorized).toMatchObject({ httpStatus: 401, graphCode: 190 });
    expect(unauthorized.message).not.toContain(revoked);
    expect(classifySendError(unauthorized).reason).toBe('token_invalid');

    const expired = 'EAAGexpired-token-0123456789abc';
    fake.addToken(expired, { type: 'USER', expiresAt: Date.now() - 1000 });
    expect(await graphError(() => client.sendMessage(expired, PNID, body))).toMatchObject({
      httpStatus: 401,
      graphCode: 190,
      graphSubcode: 463,
    });

    expect(calls).toEqual([
      { op: 'send', httpStatus: 400, graphCode: 131047 },
      { op: 'send', httpStatus: 429, graphCode: 130429 },
      { op: 'send', httpStatus: 401, graphCode: 190 },
      { op: 'send', httpStatus: 401, graphCode: 190 },
    ]);
  });

  it('keeps the app secret and tokens out of token-call errors', async () => {
    newClient();
    const wrongSecret = 'wrong-secret-0123456789abcdef';
    const err = await graphError(() =>
      client.debugToken({ inputToken: TOKEN, appId: APP.appId, appSecret: wrongSecret }),
    );
    expect(err).toMatchObject({ httpStatus: 400, graphCode: 190 });
    fake.failExchange(1, {
      graphCode: 190,
      message: `token ${TOKEN} secret ${APP.appSecret} echoed`,
    });
    const exchange = await graphError(() => client.exchangeToken({ ...APP, token: TOKEN }));
    for (const e of [err, exchange]) {
      expect(e.message).not.toContain(TOKEN);
      expect(e.message).not.toContain(APP.appSecret);
      expect(e.message).not.toContain(wrongSecret);
      expect(e.message).not.toContain(encodeURIComponent(`${APP.appId}|${APP.appSecret}`));
    }
    expect(exchange.message).toContain('[redacted]');
  });

  it('turns a non-JSON error page into a GraphApiError with the HTTP status', async () => {
    const server = await listen((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad Gateway</body></html>');
    });
    try {
      const proxy = new GraphClient({ baseUrl: urlOf(server), version: 'v21.0' });
      const err = await graphError(() =>
        proxy.uploadMedia(TOKEN, PNID, { bytes: new Uint8Array([1]), mimetype: 'image/png' }),
      );
      expect(err.httpStatus).toBe(502);
      expect(err.graphCode).toBeUndefined();
      expect(err.message).toBe('Graph HTTP 502 (upload): <html><body>Bad Gateway</body></html>');
      expect(classifySendError(err)).toMatchObject({ reason: 'unknown', kind: 'transient' });
    } finally {
      await close(server);
    }
  });

  it('reports a refused connection as httpStatus 0, without the token', async () => {
    const server = await listen(() => undefined);
    const url = urlOf(server);
    await close(server); // nothing listens there any more
    calls = [];
    const offline = new GraphClient({
      baseUrl: url,
      version: 'v21.0',
      onCall: (i) => calls.push(i),
    });
    const err = await graphError(() => offline.exchangeToken({ ...APP, token: TOKEN }));
    expect(err.httpStatus).toBe(0);
    expect(err.message).toMatch(/^Graph exchange request failed: fetch failed: ECONNREFUSED/);
    expect(err.message).not.toContain(TOKEN);
    expect(err.message).not.toContain(APP.appSecret);
    expect(classifySendError(err).reason).toBe('timeout');
    expect(calls).toEqual([{ op: 'exchange', httpStatus: 0 }]);
  });

  it('times out a Graph that never answers (httpStatus 0) and honours the caller abort', async () => {
    const server = await listen(() => undefined); // accepts, never responds
    try {
      const slow = new GraphClient({ baseUrl: urlOf(server), version: 'v21.0', timeoutMs: 200 });
      const body = buildGraphMessage({
        to: '15551234567@s.whatsapp.net',
        content: { type: 'text', text: 'x' },
      });
      const started = Date.now();
      const timedOut = await graphError(() => slow.sendMessage(TOKEN, PNID, body));
      expect(timedOut.httpStatus).toBe(0);
      expect(timedOut.message).toBe('Graph send request failed: timed out after 200 ms');
      expect(Date.now() - started).toBeLessThan(5000);

      const controller = new AbortController();
      const pending = graphError(() => slow.sendMessage(TOKEN, PNID, body, controller.signal));
      controller.abort();
      const aborted = await pending;
      expect(aborted).toMatchObject({
        httpStatus: 0,
        message: 'Graph send request failed: aborted by the caller',
      });
    } finally {
      await close(server);
    }
  });

  it('refuses a malformed token locally, without a request that could echo it', async () => {
    newClient();
    const err = await graphError(() =>
      client.sendMessage(
        'EAAG token\nwith-newline',
        PNID,
        buildGraphMessage({
          to: '15551234567@s.whatsapp.net',
          content: { type: 'text', text: 'x' },
        }),
      ),
    );
    expect(err).toMatchObject({ httpStatus: 401, graphCode: 190 });
    expect(err.message).not.toContain('with-newline');
    expect(fake.requests).toHaveLength(0);
    expect(calls).toHaveLength(0);
  });
});

function listen(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function urlOf(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
