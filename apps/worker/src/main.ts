#!/usr/bin/env node
// Composition root of the worker: owns the sessions assigned to it, one lease and one socket each.
import { createRedisAuthStateStore, ValueCipher } from '@wafleet/auth-store';
import { CloudSessionStore } from '@wafleet/cloud-api';
import { workerConfigSchema } from '@wafleet/core';
import { createWafleetMetrics } from '@wafleet/metrics';
import { LeaseKeeper, SessionLease, WorkerRegistry } from '@wafleet/ownership';
import type { Redis } from 'ioredis';
import { countConnectionsNamed } from './count-connections.js';
import { SessionRecords } from '@wafleet/redis';
import { runApp } from '@wafleet/runtime';
import { trustSimulatorRoot } from '@wafleet/session';
import { ConnectLimiter } from './connect-limiter.js';
import { SessionHost } from './session-host.js';
import { WorkerNode } from './worker-node.js';

const VERSION = '0.1.0';

await runApp({
  role: 'worker',
  schema: workerConfigSchema,
  start: async (ctx) => {
    const { config, logger, keys, redis } = ctx;
    if (config.WA_SIM_ROOT_PUBLIC_KEY) {
      // Dev/test only; the config schema already refuses it with NODE_ENV=production.
      trustSimulatorRoot(Buffer.from(config.WA_SIM_ROOT_PUBLIC_KEY, 'base64'));
      logger.warn('trusting a wa-sim root key: this worker will not talk to WhatsApp');
    }
    const metrics = createWafleetMetrics(ctx.registry);
    const workerId = ctx.instanceId;
    // Two processes with one worker id would both believe they own its sessions. Our only
    // connection so far is the command one, so any other connection with our name is another process.
    const clientList = await (redis as Redis).client('LIST').catch(() => '');
    const sameName = countConnectionsNamed(String(clientList), workerId);
    if (sameName > 1) {
      throw new Error(
        `another process is connected to Redis as worker "${workerId}": give every worker a unique INSTANCE_ID (or leave it unset)`,
      );
    }
    const lease = new SessionLease({ redis, keys, logger });
    const registry = new WorkerRegistry({
      redis,
      keys,
      deadAfterMs: config.HEARTBEAT_DEAD_AFTER_MS,
    });
    const renewals = { lastFailureMs: 0 };
    // The keeper's onLost needs the host, which needs the keeper.
    const ref: { host?: SessionHost } = {};
    const keeper = new LeaseKeeper({
      lease,
      workerId,
      ttlMs: config.LEASE_TTL_MS,
      logger,
      onLost: (sessionId, reason) => ref.host?.lost(sessionId, reason),
      onRenewFailure: () => {
        metrics.leaseRenewFailures.inc();
        renewals.lastFailureMs = Date.now();
      },
    });
    const authStore = createRedisAuthStateStore({
      redis,
      keys,
      keyring: config.ENCRYPTION_KEYS,
      observe: (op, seconds, ok) => metrics.authStoreOps.observe({ op, ok: String(ok) }, seconds),
      cacheBytes: config.AUTH_KEY_CACHE_BYTES,
    });
    const host = new SessionHost({
      workerId,
      logger,
      redis,
      keys,
      records: new SessionRecords(redis, keys),
      authStore,
      keeper,
      limiter: new ConnectLimiter(config.MAX_CONCURRENT_CONNECTS, 250),
      metrics,
      socket: config.WA_WEBSOCKET_URL ? { waWebSocketUrl: config.WA_WEBSOCKET_URL } : {},
      queueConnection: ctx.connect('blocking'),
      ackTimeoutMs: config.SEND_ACK_TIMEOUT_MS,
      cloud: {
        store: new CloudSessionStore({
          redis,
          keys,
          cipher: new ValueCipher(config.ENCRYPTION_KEYS),
        }),
        tokenCheckIntervalMs: config.CLOUD_TOKEN_CHECK_INTERVAL_MS,
        refreshAheadMs: config.CLOUD_TOKEN_REFRESH_AHEAD_MS,
        warnAheadMs: config.CLOUD_TOKEN_WARN_AHEAD_MS,
      },
      ...(config.SEND_RATE_MAX_PER_SECOND
        ? { defaultRateLimit: { max: config.SEND_RATE_MAX_PER_SECOND, durationMs: 1000 } }
        : {}),
    });
    ref.host = host;
    const node = new WorkerNode({
      workerId,
      capacity: config.WORKER_CAPACITY,
      version: VERSION,
      logger,
      redis,
      subscriber: ctx.connect('subscriber'),
      keys,
      registry,
      keeper,
      host,
      metrics,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
      reconcileIntervalMs: config.RECONCILE_INTERVAL_MS,
      perSessionMetrics: config.METRICS_PER_SESSION,
      drainBatch: config.DRAIN_HANDOFF_BATCH,
      drainBudgetMs: Math.max(
        0,
        Math.min(config.DRAIN_BUDGET_MS, config.SHUTDOWN_TIMEOUT_MS - 3000),
      ),
    });
    ctx.addReadiness({ name: 'registered', check: () => node.ready });
    // Renewing: no lease renewal failed within one TTL (a failing renewal means self-fencing is near).
    ctx.addReadiness({
      name: 'renewing',
      check: () => {
        const age = Date.now() - renewals.lastFailureMs;
        return renewals.lastFailureMs === 0
          ? { ok: true, detail: 'no renewal failure' }
          : { ok: age > config.LEASE_TTL_MS, detail: `last renewal failure ${age} ms ago` };
      },
    });
    ctx.onShutdown('drain', () => node.drain());
    await node.start();
  },
});
