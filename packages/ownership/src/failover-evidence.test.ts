import { describe, expect, it } from 'vitest';
import { closeRedis, createRedis } from '@wafleet/redis';
import { startTestRedis, until, useRedis } from '@wafleet/test-support';
import { fastFailoverVerdict } from './fast-failover-verdict.js';
import {
  connectedClientNames,
  infoField,
  parseClientNames,
  readFailoverEvidence,
} from './failover-evidence.js';

describe('parseClientNames / infoField', () => {
  it('reads names from CLIENT LIST lines and skips unnamed connections', () => {
    const list = [
      'id=3 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=8 name=worker-a age=10 idle=0 flags=N db=0',
      'id=4 addr=127.0.0.1:5001 laddr=127.0.0.1:6379 fd=9 name= age=3 idle=0 flags=N db=0',
      'id=5 addr=127.0.0.1:5002 laddr=127.0.0.1:6379 fd=10 name=worker-b age=1 idle=0 flags=N db=0',
      'id=6 addr=127.0.0.1:5003 laddr=127.0.0.1:6379 fd=11 name=worker-a age=1 idle=0 flags=N db=0',
      '',
    ].join('\n');
    expect([...parseClientNames(list)].sort()).toEqual(['worker-a', 'worker-b']);
  });

  it('reads integer INFO fields', () => {
    const info = '# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:42\r\nuptime_in_days:0\r\n';
    expect(infoField(info, 'uptime_in_seconds')).toBe(42);
    expect(infoField(info, 'missing')).toBeUndefined();
  });
});

describe('failover evidence from a real Redis', () => {
  const redis = useRedis();

  it('sees a worker’s named connections, and no longer once its process is gone', async () => {
    const command = createRedis({ url: redis.current.url, connectionName: 'worker-x' });
    const blocking = createRedis({
      url: redis.current.url,
      role: 'blocking',
      connectionName: 'worker-x',
    });
    await Promise.all([command.ping(), blocking.ping()]);
    expect((await connectedClientNames(redis.current.client)).has('worker-x')).toBe(true);
    // A dead process's kernel closes its sockets: same as a hard disconnect here.
    command.disconnect();
    expect((await connectedClientNames(redis.current.client)).has('worker-x')).toBe(true);
    blocking.disconnect();
    await until(async () => !(await connectedClientNames(redis.current.client)).has('worker-x'), {
      what: 'worker-x connections gone',
    });
  });

  it('expires a dead worker once Redis and the observer are settled, but not right after a Redis restart', async () => {
    const heartbeatIntervalMs = 300; // settled after 900 ms
    const beforeStart = performance.now();
    const server = await startTestRedis();
    const observer = createRedis({ url: server.url, connectionName: 'coordinator' });
    observer.on('error', () => {});
    const worker = createRedis({ url: server.url, connectionName: 'worker-y' });
    worker.on('error', () => {});
    try {
      await worker.ping();
      worker.disconnect(); // the worker process died
      const settled = await until(
        async () => {
          const e = await readFailoverEvidence(observer);
          return e.redisUptimeMs > 900 && e.observerConnectedForMs > 900 ? e : undefined;
        },
        { what: 'Redis and observer up for > 3 intervals' },
      );
      // Ages are never overstated (Redis rounds to whole seconds).
      expect(settled.redisUptimeMs).toBeLessThanOrEqual(performance.now() - beforeStart);
      expect(settled.clientNames.has('worker-y')).toBe(false);
      expect(settled.clientNames.has('coordinator')).toBe(true);
      expect(
        fastFailoverVerdict({
          heartbeatAgeMs: 5 * heartbeatIntervalMs,
          heartbeatIntervalMs,
          workerHasConnections: settled.clientNames.has('worker-y'),
          redisUptimeMs: settled.redisUptimeMs,
          observerConnectedForMs: settled.observerConnectedForMs,
        }),
      ).toBe('expire-now');

      // A live worker's connection survives in Redis' view; after a restart nobody is connected yet.
      const live = createRedis({ url: server.url, connectionName: 'worker-z' });
      live.on('error', () => {});
      await live.ping();
      await server.restart();
      const after = await readFailoverEvidence(observer);
      expect(after.redisUptimeMs).toBeLessThan(900);
      expect(after.observerConnectedForMs).toBeLessThan(900);
      // Even counting worker-z as gone (it may not have reconnected yet), the verdict waits.
      expect(
        fastFailoverVerdict({
          heartbeatAgeMs: 5 * heartbeatIntervalMs,
          heartbeatIntervalMs,
          workerHasConnections: false,
          redisUptimeMs: after.redisUptimeMs,
          observerConnectedForMs: after.observerConnectedForMs,
        }),
      ).toBe('wait-for-ttl');
      // And it does reconnect by itself, with its name.
      await until(async () => (await connectedClientNames(observer)).has('worker-z'), {
        what: 'worker-z reconnected',
      });
      await closeRedis(live);
    } finally {
      worker.disconnect();
      await closeRedis(observer);
      await server.stop();
    }
  });
});
