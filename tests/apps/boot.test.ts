import { describe, expect, it } from 'vitest';
import {
  spawnApp,
  spawnProcess,
  repoRoot,
  until,
  useRedis,
  uniquePrefix,
} from '@wafleet/test-support';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

const KEY = `k1:${Buffer.alloc(32, 9).toString('base64')}`;
const ADMIN = 'boot-test-admin-key-0123456789abcdef0123';
const auth = { authorization: `Bearer ${ADMIN}` };

describe.each(['api', 'coordinator', 'worker'] as const)('%s process', (name) => {
  const redis = useRedis();

  it('serves healthz, readyz and metrics, and stops cleanly on SIGTERM', async () => {
    const app = await spawnApp(name, {
      env: {
        REDIS_URL: redis.current.url,
        ENCRYPTION_KEYS: KEY,
        REDIS_KEY_PREFIX: uniquePrefix(name),
        INSTANCE_ID: `${name}-t1`,
        API_ADMIN_KEY: ADMIN,
      },
    });
    const health = (await (await fetch(`${app.baseUrl}/healthz`)).json()) as Record<
      string,
      unknown
    >;
    expect(health).toEqual({ ok: true, role: name, instanceId: `${name}-t1` });
    // Ready once every check passes (the coordinator's leadership check needs a first election).
    const report = await until(
      async () => {
        const r = await fetch(`${app.baseUrl}/readyz`, { headers: auth });
        return r.status === 200
          ? ((await r.json()) as { ok: boolean; checks: { name: string; ok: boolean }[] })
          : undefined;
      },
      { what: `${name} ready` },
    );
    expect(report.ok).toBe(true);
    expect(report.checks.find((c) => c.name === 'redis')).toMatchObject({ ok: true });
    if (name === 'api') {
      // Every route but /healthz needs a key, /readyz and /metrics included.
      expect((await fetch(`${app.baseUrl}/readyz`)).status).toBe(401);
      expect((await fetch(`${app.baseUrl}/metrics`)).status).toBe(401);
    }
    const metrics = await (await fetch(`${app.baseUrl}/metrics`, { headers: auth })).text();
    expect(metrics).toContain(`process_cpu_seconds_total{role="${name}",instance_id="${name}-t1"}`);
    // The instance id is the Redis client name: the coordinator's dead-worker check relies on it.
    const clients = (await redis.current.client.client('LIST')) as string;
    expect(clients).toContain(`name=${name}-t1 `);

    const started = Date.now();
    const result = await app.stop();
    expect(result.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(app.lines.some((l) => l.includes('shutdown complete'))).toBe(true);
    // Logs are JSON lines.
    for (const line of app.lines.filter((l) => l.startsWith('{')))
      expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('reports every invalid variable at once and exits 78', async () => {
    const proc = spawnProcess(
      `${name}-badcfg`,
      process.execPath,
      [join(repoRoot, 'apps', name, 'dist', 'main.js')],
      {
        env: {
          REDIS_URL: 'mysql://nope',
          HTTP_PORT: 'abc',
          LOG_LEVEL: 'chatty',
          ENCRYPTION_KEYS: 'bad',
        },
      },
    );
    const result = await proc.exited;
    expect(result.code).toBe(78);
    const out = proc.lines.join('\n');
    for (const v of ['REDIS_URL', 'HTTP_PORT', 'LOG_LEVEL']) expect(out).toContain(v);
    if (name !== 'coordinator') expect(out).toContain('ENCRYPTION_KEYS');
    expect(out).not.toContain('mysql://nope');
  });

  it('a port already in use: one clear line naming it, exit 1, no crash', async () => {
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as AddressInfo).port;
    try {
      const proc = spawnProcess(
        `${name}-busy`,
        process.execPath,
        [join(repoRoot, 'apps', name, 'dist', 'main.js')],
        {
          env: {
            REDIS_URL: redis.current.url,
            ENCRYPTION_KEYS: KEY,
            REDIS_KEY_PREFIX: uniquePrefix(name),
            API_ADMIN_KEY: ADMIN,
            HTTP_HOST: '127.0.0.1',
            HTTP_PORT: String(port),
          },
        },
      );
      expect((await proc.exited).code).toBe(1);
      const out = proc.lines.join('\n');
      expect(out).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(out).not.toMatch(/Unhandled|triggerUncaughtException|"level":"error"/);
    } finally {
      holder.close();
    }
  });
});

describe('readiness without Redis', () => {
  it('stays alive and reports not ready while Redis is unreachable', async () => {
    const app = await spawnApp('coordinator', { env: { REDIS_URL: 'redis://127.0.0.1:1' } });
    try {
      expect((await fetch(`${app.baseUrl}/healthz`)).status).toBe(200);
      const ready = await fetch(`${app.baseUrl}/readyz`);
      expect(ready.status).toBe(503);
      const body = (await ready.json()) as { ok: boolean; checks: { name: string; ok: boolean }[] };
      expect(body.ok).toBe(false);
      expect(body.checks.find((c) => c.name === 'redis')).toMatchObject({ ok: false });
    } finally {
      expect((await app.stop()).code).toBe(0);
    }
  });
});
