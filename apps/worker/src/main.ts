#!/usr/bin/env node
// Composition root of the worker: config, logger, Redis, metrics, health, one shutdown sequence.
import { workerConfigSchema } from '@wafleet/core';
import { runApp } from '@wafleet/runtime';

await runApp({
  role: 'worker',
  schema: workerConfigSchema,
  start: () => {
    // Session ownership and sockets arrive with the session and cluster issues.
  },
});
