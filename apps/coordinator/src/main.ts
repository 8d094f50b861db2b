#!/usr/bin/env node
// Composition root of the coordinator: leader election, then the assignment loop while leading.
import { coordinatorConfigSchema } from '@wafleet/core';
import { createWafleetMetrics } from '@wafleet/metrics';
import { LeaderElection, SessionLease, WorkerRegistry } from '@wafleet/ownership';
import { SessionRecords } from '@wafleet/redis';
import { runApp } from '@wafleet/runtime';
import { CoordinatorNode } from './coordinator-node.js';

await runApp({
  role: 'coordinator',
  schema: coordinatorConfigSchema,
  start: (ctx) => {
    const { config, logger, keys, redis } = ctx;
    const metrics = createWafleetMetrics(ctx.registry);
    // The election's callbacks need the node, which needs the election.
    const ref: { node?: CoordinatorNode } = {};
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
      },
      onDemoted: (reason) => {
        metrics.coordinatorLeader.set(0);
        logger.warn({ reason }, 'no longer leader');
      },
    });
    const node = new CoordinatorNode({
      logger,
      redis,
      keys,
      records: new SessionRecords(redis, keys),
      registry: new WorkerRegistry({ redis, keys, deadAfterMs: config.HEARTBEAT_DEAD_AFTER_MS }),
      lease: new SessionLease({ redis, keys, logger }),
      election,
      metrics,
      tickMs: config.COORDINATOR_TICK_MS,
      heartbeatIntervalMs: config.HEARTBEAT_INTERVAL_MS,
      deadAfterMs: config.HEARTBEAT_DEAD_AFTER_MS,
      maxMovesPerTick: config.REBALANCE_MAX_MOVES,
    });
    ref.node = node;
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
      await node.stop();
      await election.stop();
    });
    election.start();
    node.start();
  },
});
