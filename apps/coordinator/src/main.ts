#!/usr/bin/env node
// Composition root of the coordinator: config, logger, Redis, metrics, health, one shutdown sequence.
import { coordinatorConfigSchema } from '@wafleet/core';
import { runApp } from '@wafleet/runtime';

await runApp({
  role: 'coordinator',
  schema: coordinatorConfigSchema,
  start: () => {
    // Leader election and assignment arrive with the cluster issue.
  },
});
