import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestRedis,
  uniquePrefix,
  until,
  type SpawnedApp,
  type TestRedis,
} from '@wafleet/test-support';
import { ADMIN_KEY, ApiClient, isErrorShape, spawnApi } from './api-harness.js';

/** One malformed request: through fetch (`body`/`raw`), or as raw bytes on a socket (`wire`). */
interface BadRequest {
  name: string;
  method?: string;
  path?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  wire?: string;
  /** Expected status; otherwise any 4xx. */
  status?: number;
}

const S = '/v1/sessions';
const M = '/v1/sessions/good1/messages';
const text = (t: unknown) => ({ to: '+15551234567', content: { type: 'text', text: t } });
const auth = `Authorization: Bearer ${ADMIN_KEY}\r\n`;

const corpus: BadRequest[] = [
  // Bad JSON.
  { name: 'truncated object', method: 'POST', path: S, raw: '{"id":', status: 400 },
  { name: 'single quotes', method: 'POST', path: S, raw: "{'id':'a'}", status: 400 },
  { name: 'trailing comma', method: 'POST', path: S, raw: '{"id":"a",}', status: 400 },
  { name: 'bare word', method: 'POST', path: S, raw: 'nul', status: 400 },
  { name: 'NaN literal', method: 'POST', path: S, raw: '{"id":NaN}', status: 400 },
  { name: 'unclosed array', method: 'POST', path: S, raw: '[1,2', status: 400 },
  { name: 'empty JSON body', method: 'POST', path: S, raw: '', status: 400 },
  {
    name: 'prototype pollution',
    method: 'POST',
    path: S,
    raw: '{"id":"pp1","__proto__":{"admin":true}}',
    status: 400,
  },
  { name: 'JSON array instead of object', method: 'POST', path: S, body: [1, 2, 3], status: 400 },
  { name: 'JSON string instead of object', method: 'POST', path: S, body: 'session', status: 400 },
  { name: 'null body', method: 'POST', path: S, body: null, status: 400 },
  // Wrong types.
  { name: 'id is a number', method: 'POST', path: S, body: { id: 5 }, status: 400 },
  { name: 'name is an array', method: 'POST', path: S, body: { id: 'x1', name: [] }, status: 400 },
  {
    name: 'start is a string',
    method: 'POST',
    path: S,
    body: { id: 'x1', start: 'yes' },
    status: 400,
  },
  {
    name: 'kind unknown',
    method: 'POST',
    path: S,
    body: { id: 'x1', kind: 'telegram' },
    status: 400,
  },
  {
    name: 'webhook is a string',
    method: 'POST',
    path: S,
    body: { id: 'x1', webhook: 'http://x' },
    status: 400,
  },
  {
    name: 'webhook url is a number',
    method: 'POST',
    path: S,
    body: { id: 'x1', webhook: { url: 5 } },
    status: 400,
  },
  {
    name: 'webhook url is ftp',
    method: 'POST',
    path: S,
    body: { id: 'x1', webhook: { url: 'ftp://example.com/x' } },
    status: 400,
  },
  {
    name: 'webhook url with credentials',
    method: 'POST',
    path: S,
    body: { id: 'x1', webhook: { url: 'http://u:p@127.0.0.1/x' } },
    status: 400,
  },
  {
    name: 'webhook events is a string',
    method: 'POST',
    path: S,
    body: { id: 'x1', webhook: { url: 'http://127.0.0.1/x', events: 'all' } },
    status: 400,
  },
  {
    name: 'webhook unknown event',
    method: 'POST',
    path: S,
    body: { id: 'x1', webhook: { url: 'http://127.0.0.1/x', events: ['sms.sent'] } },
    status: 400,
  },
  {
    name: 'webhook secret too short',
    method: 'POST',
    path: S,
    body: { id: 'x1', webhook: { url: 'http://127.0.0.1/x', secret: 'short' } },
    status: 400,
  },
  {
    name: 'rateLimit max is a string',
    method: 'POST',
    path: S,
    body: { id: 'x1', rateLimit: { max: '1', durationMs: 1000 } },
    status: 400,
  },
  {
    name: 'rateLimit negative',
    method: 'POST',
    path: S,
    body: { id: 'x1', rateLimit: { max: -1, durationMs: 1000 } },
    status: 400,
  },
  {
    name: 'rateLimit fractional',
    method: 'POST',
    path: S,
    body: { id: 'x1', rateLimit: { max: 1.5, durationMs: 1000 } },
    status: 400,
  },
  // Missing and unknown fields, bad ids.
  { name: 'empty object', method: 'POST', path: S, body: {}, status: 400 },
  {
    name: 'unknown field',
    method: 'POST',
    path: S,
    body: { id: 'x1', owner: 'worker-1' },
    status: 400,
  },
  { name: 'id with space', method: 'POST', path: S, body: { id: 'a b' }, status: 400 },
  { name: 'id too long', method: 'POST', path: S, body: { id: 'a'.repeat(65) }, status: 400 },
  { name: 'id with hash tag braces', method: 'POST', path: S, body: { id: 'a}{s:b' }, status: 400 },
  { name: 'id with unicode', method: 'POST', path: S, body: { id: 'sessión' }, status: 400 },
  {
    name: 'name with control characters',
    method: 'POST',
    path: S,
    body: { id: 'x1', name: 'a\u0000b' },
    status: 400,
  },
  {
    name: 'name too long',
    method: 'POST',
    path: S,
    body: { id: 'x1', name: 'n'.repeat(101) },
    status: 400,
  },
  { name: 'duplicate session', method: 'POST', path: S, body: { id: 'good1' }, status: 409 },
  { name: 'patch with nothing', method: 'PATCH', path: `${S}/good1`, body: {}, status: 400 },
  { name: 'path id with dots', method: 'GET', path: `${S}/..%2F..%2Fetc`, status: 400 },
  { name: 'path id with NUL', method: 'GET', path: `${S}/a%00b`, status: 400 },
  { name: 'path id too long', method: 'GET', path: `${S}/${'a'.repeat(300)}`, status: 400 },
  // Unknown sessions, jobs, messages, keys.
  { name: 'get unknown session', method: 'GET', path: `${S}/nope`, status: 404 },
  { name: 'delete unknown session', method: 'DELETE', path: `${S}/nope`, status: 404 },
  { name: 'restart unknown session', method: 'POST', path: `${S}/nope/restart`, status: 404 },
  { name: 'qr of unknown session', method: 'GET', path: `${S}/nope/qr`, status: 404 },
  { name: 'qr stream of unknown session', method: 'GET', path: `${S}/nope/qr/stream`, status: 404 },
  { name: 'qr while stopped', method: 'GET', path: `${S}/good1/qr`, status: 409 },
  {
    name: 'send to unknown session',
    method: 'POST',
    path: '/v1/sessions/nope/messages',
    body: text('hi'),
    status: 404,
  },
  { name: 'restart without an owner', method: 'POST', path: `${S}/good1/restart`, status: 409 },
  {
    name: 'unknown job',
    method: 'GET',
    path: '/v1/jobs/good1.3EB0000000000000000001',
    status: 404,
  },
  { name: 'malformed job id', method: 'GET', path: '/v1/jobs/not-a-job', status: 400 },
  { name: 'malformed message id', method: 'GET', path: `${M}/hello`, status: 400 },
  { name: 'unknown message', method: 'GET', path: `${M}/3EB0000000000000000009`, status: 404 },
  {
    name: 'revoke unknown key',
    method: 'DELETE',
    path: '/v1/api-keys/0123456789abcdef',
    status: 404,
  },
  { name: 'revoke malformed key id', method: 'DELETE', path: '/v1/api-keys/xyz', status: 400 },
  {
    name: 'key with unknown scope',
    method: 'POST',
    path: '/v1/api-keys',
    body: { name: 'k', scopes: ['root'] },
    status: 400,
  },
  {
    name: 'key with no scopes',
    method: 'POST',
    path: '/v1/api-keys',
    body: { name: 'k', scopes: [] },
    status: 400,
  },
  // Bad phone numbers.
  ...[
    '123',
    'abc',
    '+0123456789',
    '',
    '+1 555 123 4567',
    '1234567890123456',
    '+15551234567\n',
    '١٢٣٤٥٦٧٨٩٠',
  ].map(
    (phone): BadRequest => ({
      name: `pairing phone ${JSON.stringify(phone)}`,
      method: 'POST',
      path: `${S}/good1/pairing-code`,
      body: { phone },
      status: 400,
    }),
  ),
  {
    name: 'pairing without phone',
    method: 'POST',
    path: `${S}/good1/pairing-code`,
    body: {},
    status: 400,
  },
  {
    name: 'pairing phone as number',
    method: 'POST',
    path: `${S}/good1/pairing-code`,
    body: { phone: 15551234567 },
    status: 400,
  },
  {
    name: 'pairing without owner',
    method: 'POST',
    path: `${S}/good1/pairing-code`,
    body: { phone: '+15551234567' },
    status: 409,
  },
  // Sends.
  {
    name: 'send without content',
    method: 'POST',
    path: M,
    body: { to: '+15551234567' },
    status: 400,
  },
  {
    name: 'send to a bad number',
    method: 'POST',
    path: M,
    body: { to: '12', content: { type: 'text', text: 'x' } },
    status: 400,
  },
  { name: 'send empty text', method: 'POST', path: M, body: text(''), status: 400 },
  { name: 'send text as number', method: 'POST', path: M, body: text(42), status: 400 },
  {
    name: 'send unknown content type',
    method: 'POST',
    path: M,
    body: { to: '+15551234567', content: { type: 'hologram' } },
    status: 400,
  },
  {
    name: 'send location out of range',
    method: 'POST',
    path: M,
    body: { to: '+15551234567', content: { type: 'location', latitude: 91, longitude: 0 } },
    status: 400,
  },
  {
    name: 'send image without source',
    method: 'POST',
    path: M,
    body: { to: '+15551234567', content: { type: 'image' } },
    status: 400,
  },
  {
    name: 'send bad priority',
    method: 'POST',
    path: M,
    body: { ...text('x'), options: { priority: 0 } },
    status: 400,
  },
  {
    name: 'send bad expiry',
    method: 'POST',
    path: M,
    body: { ...text('x'), options: { expiresAt: 'tomorrow' } },
    status: 400,
  },
  {
    name: 'idempotency key with spaces',
    method: 'POST',
    path: M,
    body: text('x'),
    headers: { 'idempotency-key': 'a b' },
    status: 400,
  },
  {
    name: 'idempotency key too long',
    method: 'POST',
    path: M,
    body: text('x'),
    headers: { 'idempotency-key': 'k'.repeat(201) },
    status: 400,
  },
  {
    name: 'idempotency header and body disagree',
    method: 'POST',
    path: M,
    body: { ...text('x'), options: { idempotencyKey: 'b' } },
    headers: { 'idempotency-key': 'a' },
    status: 400,
  },
  // Queries.
  { name: 'events cursor garbage', method: 'GET', path: '/v1/events?cursor=abc', status: 400 },
  { name: 'events limit zero', method: 'GET', path: '/v1/events?limit=0', status: 400 },
  { name: 'events limit huge', method: 'GET', path: '/v1/events?limit=100000', status: 400 },
  { name: 'events wait too long', method: 'GET', path: '/v1/events?wait=99', status: 400 },
  { name: 'events bad type', method: 'GET', path: '/v1/events?type=DROP%20TABLE', status: 400 },
  { name: 'events bad session', method: 'GET', path: '/v1/events?session=a%7Db', status: 400 },
  { name: 'events repeated param', method: 'GET', path: '/v1/events?limit=1&limit=2', status: 400 },
  { name: 'unknown query parameter', method: 'GET', path: '/v1/sessions?owner=x', status: 400 },
  // Media types, methods, sizes.
  {
    name: 'text/plain body',
    method: 'POST',
    path: S,
    raw: 'id=x1',
    headers: { 'content-type': 'text/plain' },
    status: 415,
  },
  {
    name: 'xml body',
    method: 'POST',
    path: S,
    raw: '<id>x1</id>',
    headers: { 'content-type': 'application/xml' },
    status: 415,
  },
  {
    name: 'form body',
    method: 'POST',
    path: S,
    raw: 'id=x1',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
  },
  {
    name: 'oversized body',
    method: 'POST',
    path: M,
    body: text('x'.repeat(1_100_000)),
    status: 413,
  },
  {
    name: 'oversized raw body',
    method: 'POST',
    path: S,
    raw: `{"id":"${'a'.repeat(2_000_000)}"}`,
    status: 413,
  },
  { name: 'method not allowed', method: 'PUT', path: S, body: {}, status: 405 },
  { name: 'unknown route', method: 'GET', path: '/v1/nothing-here', status: 404 },
  // Header injection and malformed HTTP (raw bytes on a socket).
  {
    name: 'CR inside a header value',
    wire: `GET /v1/sessions HTTP/1.1\r\nHost: x\r\n${auth}X-Evil: a\rSet-Cookie: pwn=1\r\n\r\n`,
    status: 400,
  },
  {
    name: 'NUL inside a header value',
    wire: `GET /v1/sessions HTTP/1.1\r\nHost: x\r\n${auth}X-Evil: a\u0000b\r\n\r\n`,
    status: 400,
  },
  {
    name: 'space in a header name',
    wire: `GET /v1/sessions HTTP/1.1\r\nHost: x\r\n${auth}Bad Header: 1\r\n\r\n`,
    status: 400,
  },
  {
    name: 'encoded CRLF in the path (response splitting)',
    method: 'GET',
    path: `${S}/a%0D%0ASet-Cookie:%20pwn=1`,
    status: 400,
  },
  {
    name: 'encoded CRLF in a query value',
    method: 'GET',
    path: '/v1/events?type=a%0D%0ASet-Cookie:%20pwn=1',
    status: 400,
  },
  {
    name: 'Content-Length and chunked together',
    wire: `POST /v1/sessions HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
    status: 400,
  },
  {
    name: 'two Content-Length headers',
    wire: `POST /v1/sessions HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
    status: 400,
  },
  {
    name: 'huge header',
    wire: `GET /v1/sessions HTTP/1.1\r\nHost: x\r\n${auth}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    status: 431,
  },
  {
    name: 'Authorization with a line break',
    wire: `GET /v1/sessions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer abc\r\n def\r\n\r\n`,
    status: 400,
  },
];

/** Sends raw bytes and reads the whole answer (the server closes after a malformed request). */
function wire(port: number, bytes: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('no answer within 5 s')));
    socket.on('data', (c: Buffer) => {
      data += c.toString('utf8');
      // One answer is enough (keep-alive sockets are not closed by the server).
      const head = data.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(data.slice(0, head))?.[1];
      if (head >= 0 && length !== undefined && data.length >= head + 4 + Number(length))
        socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(bytes);
  });
}

describe('bad input (real api process)', () => {
  let redis: TestRedis;
  let api: SpawnedApp;
  let http: ApiClient;
  const prefix = uniquePrefix('bad');

  beforeAll(async () => {
    redis = await startTestRedis();
    api = await spawnApi({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix });
    http = new ApiClient(api.baseUrl);
    expect((await http.call('POST', S, { body: { id: 'good1', start: false } })).status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
    await redis?.stop();
  });

  it(`answers each of ${corpus.length} malformed requests with a 4xx in the error shape, and stays up`, async () => {
    expect(corpus.length).toBeGreaterThanOrEqual(60);
    const failures: string[] = [];
    for (const c of corpus) {
      let status: number;
      let body: unknown;
      if (c.wire !== undefined) {
        const res = await wire(api.port, c.wire);
        status = res.status;
        try {
          body = JSON.parse(res.body);
        } catch {
          body = res.body;
        }
      } else {
        const headers = { ...c.headers };
        if (c.raw !== undefined && !headers['content-type'])
          headers['content-type'] = 'application/json';
        const res = await http.call(c.method ?? 'GET', c.path ?? '/', {
          headers,
          ...(c.body !== undefined ? { body: c.body } : {}),
          ...(c.raw !== undefined ? { raw: c.raw } : {}),
        });
        status = res.status;
        body = res.body;
        // Nothing a caller sends ever becomes a response header.
        if (res.headers.get('set-cookie') !== null)
          failures.push(`${c.name}: set-cookie in the answer`);
      }
      const okStatus = c.status !== undefined ? status === c.status : status >= 400 && status < 500;
      if (!okStatus || !isErrorShape(body)) {
        failures.push(`${c.name}: ${status} ${JSON.stringify(body).slice(0, 200)}`);
      }
      if (status >= 500) failures.push(`${c.name}: 5xx`);
    }
    expect(failures).toEqual([]);
    // Validation errors name the field.
    const named = await http.call('POST', S, { body: { id: 'x1', webhook: { url: 5 } } });
    expect((named.body as { error: { message: string } }).error.message).toContain(
      'body.webhook.url: must be a string',
    );
    const missing = await http.call('POST', S, { body: { name: 'no id' } });
    expect(
      (missing.body as { error: { details: { problems: unknown[] } } }).error.details.problems,
    ).toEqual([{ path: 'body.id', rule: 'is required' }]);
    // Still alive and well.
    expect(api.hasExited).toBe(false);
    expect((await http.withKey(undefined).call('GET', '/healthz')).status).toBe(200);
    expect((await http.call('GET', '/readyz')).status).toBe(200);
    expect(api.lines.some((l) => l.includes('"level":"error"'))).toBe(false);
  });

  it('an unexpected failure is a 500 with an error id that is in the log, without a stack', async () => {
    // Break the key store behind the api's back: the API key hash becomes a plain string.
    await redis.client.set(`${prefix}:api:keys`, 'not a hash');
    try {
      const res = await http
        .withKey(`wfk_0123456789abcdef_${'A'.repeat(43)}`)
        .call('GET', '/v1/sessions');
      expect(res.status).toBe(500);
      expect(isErrorShape(res.body)).toBe(true);
      const error = (
        res.body as { error: { code: string; message: string; details: { errorId: string } } }
      ).error;
      expect(error.code).toBe('INTERNAL');
      expect(error.details.errorId).toMatch(/^err_/);
      expect(res.text).not.toMatch(/WRONGTYPE|at .*\.js:\d+|stack/i);
      const logged = await until(() => api.lines.find((l) => l.includes(error.details.errorId)));
      expect(logged).toContain('WRONGTYPE');
    } finally {
      await redis.client.del(`${prefix}:api:keys`);
    }
    expect((await http.call('GET', '/v1/sessions/good1')).status).toBe(200);
  });
});
