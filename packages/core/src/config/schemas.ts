import { z } from 'zod';
import { envVar } from './env-var.js';
import { baseFields, encryptionKeysField, positiveIntField } from './fields.js';

/** Environment of `apps/api`. */
export const apiConfigSchema = z.object({
  ...baseFields(8080),
  ENCRYPTION_KEYS: encryptionKeysField,
});

/** Environment of `apps/coordinator`. */
export const coordinatorConfigSchema = z.object({
  ...baseFields(9090),
});

/** Environment of `apps/worker`. */
export const workerConfigSchema = z.object({
  ...baseFields(9091),
  ENCRYPTION_KEYS: encryptionKeysField,
  WORKER_CAPACITY: envVar(positiveIntField(500, 'sessions'), {
    description: 'Most sessions this worker will own at once.',
  }),
});

export type ApiConfig = z.output<typeof apiConfigSchema>;
export type CoordinatorConfig = z.output<typeof coordinatorConfigSchema>;
export type WorkerConfig = z.output<typeof workerConfigSchema>;

/** Every app's schema by app name, for the README config table. */
export const appConfigSchemas = {
  api: apiConfigSchema,
  coordinator: coordinatorConfigSchema,
  worker: workerConfigSchema,
} as const;
