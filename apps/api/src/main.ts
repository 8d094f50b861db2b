#!/usr/bin/env node
// Composition root of the api: config, logger, Redis, metrics (runApp), then the HTTP API, the
// event tail and the webhook dispatcher (buildApi), and one shutdown step that closes them.
import { apiConfigSchema } from '@wafleet/core';
import { runApp } from '@wafleet/runtime';
import { buildApi } from './build-api.js';

await runApp({
  role: 'api',
  schema: apiConfigSchema,
  // The api serves /healthz, /readyz and /metrics from its own Fastify server (with auth).
  opsServer: false,
  start: async (ctx) => {
    const { config, logger } = ctx;
    if (config.WA_SIM_CONTROL_URL) {
      logger.warn(
        'demo mode: the scan page offers a simulated phone (wa-sim); never use this in production',
      );
    }
    const app = await buildApi({
      redis: ctx.redis,
      keys: ctx.keys,
      config,
      logger,
      registry: ctx.registry,
      instanceId: ctx.instanceId,
      connect: () => ctx.connect('blocking'),
    });
    ctx.onShutdown('http api', () => app.close());
    const address = await app.listen({ host: config.HTTP_HOST, port: config.HTTP_PORT });
    logger.info({ address }, 'api listening');
  },
});
