import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startTestRedis,
  uniquePrefix,
  type SpawnedApp,
  type TestRedis,
} from '@wafleet/test-support';
import { ADMIN_KEY, ApiClient, isErrorShape, spawnApi } from './api-harness.js';

interface OpenApiDoc {
  paths: Record<string, Record<string, unknown>>;
}

/** Every documented operation, path parameters filled with plausible values. */
function operations(doc: OpenApiDoc): { method: string; path: string; template: string }[] {
  const out: { method: string; path: string; template: string }[] = [];
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const method of Object.keys(ops)) {
      const path = template
        .replace('{messageId}', '3EB0000000000000000001')
        .replace('{sessionId}', 'sec1')
        .replace(
          /\{id\}/,
          template.startsWith('/v1/api-keys')
            ? '0123456789abcdef'
            : template.startsWith('/v1/jobs')
              ? 'sec1.3EB0000000000000000001'
              : 'sec1',
        );
      out.push({ method: method.toUpperCase(), path, template });
    }
  }
  return out;
}

describe('API security (real api process)', () => {
  let redis: TestRedis;
  let api: SpawnedApp;
  let strict: SpawnedApp;
  let admin: ApiClient;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    redis = await startTestRedis();
    api = await spawnApi({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: uniquePrefix('sec') }, 'api');
    // No allowlist and a small rate limit: the production defaults for URLs.
    strict = await spawnApi(
      {
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: uniquePrefix('sec'),
        WEBHOOK_ALLOWLIST: '',
        API_RATE_LIMIT_PER_MIN: '20',
      },
      'api-strict',
    );
    admin = new ApiClient(api.baseUrl);
    expect(
      (await admin.call('POST', '/v1/sessions', { body: { id: 'sec1', start: false } })).status,
    ).toBe(201);
    doc = (await admin.call('GET', '/docs/json')).body as OpenApiDoc;
  }, 60_000);
  afterAll(async () => {
    await api?.stop();
    await strict?.stop();
    await redis?.stop();
  });

  it('documents every route in OpenAPI 3 (and /docs serves it too)', async () => {
    expect((doc as unknown as { openapi: string }).openapi).toMatch(/^3\./);
    const paths = Object.keys(doc.paths);
    for (const p of [
      '/v1/sessions',
      '/v1/sessions/{id}',
      '/v1/sessions/{id}/qr',
      '/v1/sessions/{id}/qr/stream',
      '/v1/sessions/{id}/pairing-code',
      '/v1/sessions/{id}/messages',
      '/v1/jobs/{id}',
      '/v1/sessions/{id}/messages/{messageId}',
      '/v1/events',
      '/v1/api-keys',
      '/scan/{sessionId}',
    ]) {
      expect(paths).toContain(p);
    }
    const send = doc.paths['/v1/sessions/{id}/messages']!.post as {
      requestBody: { content: Record<string, { schema: unknown }> };
    };
    // The content union of @wafleet/queue is in the document, not just "object".
    expect(JSON.stringify(send.requestBody.content['application/json']!.schema)).toContain(
      'latitude',
    );
    const docs = await admin.call('GET', '/docs');
    expect(docs.status).toBe(200);
    expect((docs.body as { openapi: string }).openapi).toMatch(/^3\./);
  });

  it('every route but /healthz answers 401 without a key, and so do unknown routes', async () => {
    // Meta cannot send an API key: its webhook receiver is guarded by the verify token (GET) and
    // the X-Hub-Signature-256 HMAC (POST) instead, checked below.
    const isMetaWebhook = (template: string) => template.startsWith('/v1/cloud/');
    const ops = operations(doc).filter(
      (o) =>
        o.template !== '/healthz' && !o.template.startsWith('/scan/') && !isMetaWebhook(o.template),
    );
    expect(ops.length).toBeGreaterThan(20);
    const anon = admin.withKey(undefined);
    for (const op of ops) {
      const res = await anon.call(
        op.method,
        op.path,
        op.method === 'GET' || op.method === 'DELETE' ? {} : { body: {} },
      );
      expect(res.status, `${op.method} ${op.path}`).toBe(401);
      expect(isErrorShape(res.body), `${op.method} ${op.path}`).toBe(true);
      expect((res.body as { error: { code: string } }).error.code).toBe('UNAUTHENTICATED');
    }
    const meta = operations(doc).filter((o) => isMetaWebhook(o.template));
    expect(meta.map((o) => o.method).sort()).toEqual(['GET', 'POST']);
    for (const op of meta) {
      const res = await anon.call(op.method, op.path, op.method === 'GET' ? {} : { body: {} });
      expect(res.status, `${op.method} ${op.path}`).toBe(op.method === 'GET' ? 403 : 401);
      expect(isErrorShape(res.body), `${op.method} ${op.path}`).toBe(true);
    }
    for (const path of ['/nope', '/v1/secret-route', '/docs/static/index.html']) {
      expect((await anon.call('GET', path)).status).toBe(401);
    }
    expect((await anon.call('GET', '/healthz')).status).toBe(200);
  });

  it('scan routes refuse a missing or forged token, never showing a QR', async () => {
    const anon = admin.withKey(undefined);
    for (const token of ['', 'abc', '9999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      const page = await anon.call('GET', `/scan/sec1?token=${encodeURIComponent(token)}`);
      expect(page.status).toBe(401);
      expect(page.text).not.toMatch(/data:image|<img/);
      const events = await anon.call('GET', `/scan/sec1/events?token=${encodeURIComponent(token)}`);
      expect(events.status).toBe(401);
      expect(isErrorShape(events.body)).toBe(true);
      expect(
        (await anon.call('POST', `/scan/sec1/simulate-scan?token=${encodeURIComponent(token)}`))
          .status,
      ).toBe(401);
    }
    // A genuine token of another session does not open this one.
    const other = await admin.call('POST', '/v1/sessions', { body: { id: 'sec2', start: false } });
    expect(other.status).toBe(201);
    const { token } = (await admin.call('POST', '/v1/sessions/sec2/scan-token')).body as {
      token: string;
    };
    expect((await anon.call('GET', `/scan/sec1?token=${encodeURIComponent(token)}`)).status).toBe(
      401,
    );
    expect((await anon.call('GET', `/scan/sec2?token=${encodeURIComponent(token)}`)).status).toBe(
      200,
    );
  });

  it('rejects malformed, unknown and revoked keys with 401, and wrong scopes with 403', async () => {
    const created = await admin.call('POST', '/v1/api-keys', {
      body: { name: 'reader', scopes: ['read'] },
    });
    expect(created.status).toBe(201);
    const { id, key } = created.body as { id: string; key: string };
    const reader = admin.withKey(key);
    expect((await reader.call('GET', '/v1/sessions')).status).toBe(200);
    // X-Api-Key works as well as Bearer.
    const viaHeader = await fetch(`${api.baseUrl}/v1/sessions`, { headers: { 'x-api-key': key } });
    expect(viaHeader.status).toBe(200);
    // QR and pairing codes are credentials: not for a read-only key.
    for (const [method, path] of [
      ['GET', '/v1/sessions/sec1/qr'],
      ['GET', '/v1/sessions/sec1/qr/stream'],
      ['POST', '/v1/sessions/sec1/pairing-code'],
      ['POST', '/v1/sessions/sec1/scan-token'],
      ['POST', '/v1/api-keys'],
      ['POST', '/v1/sessions/sec1/messages'],
    ] as const) {
      const res = await reader.call(method, path, method === 'POST' ? { body: {} } : {});
      expect(res.status, `${method} ${path}`).toBe(403);
      expect((res.body as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    }
    const list = (await admin.call('GET', '/v1/api-keys')).body as { keys: { id: string }[] };
    expect(list.keys.map((k) => k.id)).toContain(id);
    expect(JSON.stringify(list)).not.toContain(key);
    expect((await admin.call('DELETE', `/v1/api-keys/${id}`)).status).toBe(200);
    const revoked = await reader.call('GET', '/v1/sessions');
    expect(revoked.status).toBe(401);
    expect(isErrorShape(revoked.body)).toBe(true);
    // Tampered, truncated and wrongly formatted keys.
    for (const bad of [
      `${key.slice(0, -1)}A`,
      key.slice(0, 20),
      `${ADMIN_KEY}x`,
      'wfk_0123456789abcdef_' + 'A'.repeat(43),
    ]) {
      expect((await admin.withKey(bad).call('GET', '/v1/sessions')).status).toBe(401);
    }
    for (const header of ['Basic abc', 'Bearer', 'Bearer  ', `Token ${ADMIN_KEY}`]) {
      const res = await fetch(`${api.baseUrl}/v1/sessions`, { headers: { authorization: header } });
      expect(res.status, header).toBe(401);
    }
  });

  it('refuses webhook URLs that point at private addresses unless allowlisted', async () => {
    const strictAdmin = new ApiClient(strict.baseUrl);
    const denied = [
      'http://10.0.0.5/hook',
      'http://192.168.1.10/hook',
      'http://172.16.0.1/hook',
      'http://169.254.169.254/latest/meta-data',
      'http://127.0.0.1:8080/hook',
      'http://[::1]:8080/hook',
      'http://localhost:8080/hook',
      'http://0.0.0.0/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://100.64.0.1/hook',
    ];
    let n = 0;
    for (const url of denied) {
      const res = await strictAdmin.call('POST', '/v1/sessions', {
        body: { id: `hook${++n}`, start: false, webhook: { url } },
      });
      expect(res.status, url).toBe(400);
      expect((res.body as { error: { code: string } }).error.code, url).toBe('WEBHOOK_URL_DENIED');
    }
    expect((await strictAdmin.call('GET', '/v1/sessions')).body).toEqual({ sessions: [] });
    // The test api allowlists 127.0.0.1 (and only that).
    const allowed = await admin.call('POST', '/v1/sessions', {
      body: { id: 'hookok', start: false, webhook: { url: 'http://127.0.0.1:9/hook' } },
    });
    expect(allowed.status).toBe(201);
    const stillDenied = await admin.call('POST', '/v1/sessions', {
      body: { id: 'hookno', start: false, webhook: { url: 'http://10.1.2.3/hook' } },
    });
    expect(stillDenied.status).toBe(400);
    const patched = await admin.call('PATCH', '/v1/sessions/hookok', {
      body: { webhook: { url: 'http://192.168.0.1/x' } },
    });
    expect(patched.status).toBe(400);
  });

  it('limits requests per key with 429 in the error shape', async () => {
    const strictAdmin = new ApiClient(strict.baseUrl);
    const { key } = (
      await strictAdmin.call('POST', '/v1/api-keys', { body: { name: 'busy', scopes: ['read'] } })
    ).body as { key: string };
    const busy = strictAdmin.withKey(key);
    let limited: Awaited<ReturnType<ApiClient['call']>> | undefined;
    // At most two windows' worth (a minute boundary may reset the count once).
    for (let i = 0; i < 41 && !limited; i++) {
      const res = await busy.call('GET', '/v1/sessions');
      if (res.status === 429) limited = res;
      else expect(res.status).toBe(200);
    }
    expect(limited).toBeDefined();
    expect(isErrorShape(limited!.body)).toBe(true);
    expect((limited!.body as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Other keys have their own budget.
    expect((await strictAdmin.call('GET', '/v1/sessions')).status).toBe(200);
  });
});
