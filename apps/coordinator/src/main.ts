#!/usr/bin/env node
// Composition root of the coordinator: leader election, then the assignment loop while leading.
import { coordinatorConfigSchema } from '@wafleet/core';
import { createWafleetMetrics } from '@wafleet/metrics';
import { LeaderElection, SessionLease, WorkerRegistry } from '@wafleet/ownership';
import { SessionRecords } from '@wafleet/redis';
import { runApp } from '@wafleet/runtime';
import { CoordinatorNode } from './coordinator-node.js';
import { SessionMonitor } from './session-monitor.js';

await runApp({
  role: 'coordinator',
  schema: coordinatorConfigSchema,
  start: (ctx) => {
    const { config, logger, keys, redis } = ctx;
    const metrics = createWafleetMetrics(ctx.registry);
    // Present from boot, so "no coordinator leads" is a query, not an absent series.
    metrics.coordinatorLeader.set(0);
    // The election's callbacks need the node, which needs the election.
    const ref: { node?: CoordinatorNode; monitor?: SessionMonitor } = {};
    const election = new LeaderElection({
      redis,
      keys,
      instanceId: ctx.instanceId,
      ttlMs: config.LEADER_TTL_MS,
      logger,
      onElected: (fence) => {
        metrics.coordinatorLeader.set(1);
        logger.info({ fence }, 'elected leader');
        ref.node?.kick();
        ref.monitor?.kick();
      },
      onDemoted: (reason) => {
        metrics.coordinatorLeader.set(0);
        logger.warn({ reason }, 'no longer leader');
      },
    });
    const workerRegistry = new WorkerRegistry({
      redis,
      keys,
      deadAfterMs: config.HEARTBEAT_DEAD_AFTER_MS,
    });
    const node = new CoordinatorNode({
      logger,
      redis,
      keys,
      records: new SessionRecords(redis, keys),
      registry: workerRegistry,
      lease: new SessionLease({ redis, keys, logger }),
      election,
      metrics,
      tickMs: config.COORDINATOR_TICK_MS,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
      deadAfterMs: config.HEARTBEAT_DEAD_AFTER_MS,
      maxMovesPerTick: config.REBALANCE_MAX_MOVES,
    });
    ref.node = node;
    const monitor = new SessionMonitor({
      logger: logger.child({ part: 'session-monitor' }),
      redis,
      keys,
      records: new SessionRecords(redis, keys),
      registry: workerRegistry,
      metrics,
      isLeader: () => election.isLeader,
      intervalMs: config.SESSION_MONITOR_INTERVAL_MS,
      thresholds: {
        sessionDownAfterMs: config.SESSION_DOWN_ALERT_AFTER_MS,
        queueStuckAfterMs: config.QUEUE_STUCK_ALERT_AFTER_MS,
        workerDeadAfterMs: config.HEARTBEAT_DEAD_AFTER_MS,
      },
      resolveAfterMs: config.ALERT_RESOLVE_AFTER_MS,
      ...(config.ALERT_WEBHOOK_URL
        ? {
            webhook: {
              url: config.ALERT_WEBHOOK_URL,
              ...(config.ALERT_WEBHOOK_SECRET ? { secret: config.ALERT_WEBHOOK_SECRET } : {}),
            },
          }
        : {}),
    });
    ref.monitor = monitor;
    ctx.addReadiness({
      name: 'leadership',
      check: async () => {
        const holder = await redis.get(keys.leader());
        return {
          ok: holder !== null,
          detail: election.isLeader ? 'leader' : holder ? 'standby' : 'no leader yet',
        };
      },
    });
    ctx.onShutdown('coordinator', async () => {
      await monitor.stop();
      await node.stop();
      await election.stop();
    });
    election.start();
    node.start();
    monitor.start();
  },
});
