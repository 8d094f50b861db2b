import { describe, expect, it } from 'vitest';
import { createLogger } from '@wafleet/core';
import { createMetricsRegistry } from './registry.js';
import { startOpsServer } from './ops-server.js';

describe('ops server', () => {
  it('serves healthz, readyz with checks, and metrics with process labels', async () => {
    const registry = createMetricsRegistry({ role: 'worker', instance_id: 'w-1' });
    let redisUp = true;
    const ops = await startOpsServer({
      host: '127.0.0.1',
      port: 0,
      registry,
      logger: createLogger({ role: 'test', level: 'silent' }),
      role: 'worker',
      instanceId: 'w-1',
      readiness: [
        { name: 'redis', check: () => ({ ok: redisUp, detail: redisUp ? 'PONG' : 'down' }) },
      ],
    });
    const base = `http://127.0.0.1:${ops.port}`;
    try {
      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ ok: true, role: 'worker', instanceId: 'w-1' });

      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      redisUp = false;
      const notReady = await fetch(`${base}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({
        ok: false,
        checks: [{ name: 'redis', ok: false, detail: 'down' }],
      });

      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toMatch(/process_cpu_seconds_total\{role="worker",instance_id="w-1"\}/);
      expect((await fetch(`${base}/nope`)).status).toBe(404);
      expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
    } finally {
      await ops.close();
    }
  });
});
