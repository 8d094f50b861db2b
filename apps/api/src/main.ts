#!/usr/bin/env node
// Composition root of the api: config, logger, Redis, metrics, health, one shutdown sequence.
import { apiConfigSchema } from '@wafleet/core';
import { runApp } from '@wafleet/runtime';

await runApp({
  role: 'api',
  schema: apiConfigSchema,
  start: () => {
    // The HTTP API (sessions, sends, QR) arrives with its own issue; today the api serves ops routes.
  },
});
