import { z } from 'zod';
import { envVar } from './env-var.js';
import { baseFields, encryptionKeysField, positiveIntField } from './fields.js';

/** Environment of `apps/api`. */
export const apiConfigSchema = z.object({
  ...baseFields(8080),
  ENCRYPTION_KEYS: encryptionKeysField,
});

const ms = (fallback: number, description: string) => envVar(positiveIntField(fallback, 'milliseconds'), { description });

/** Cluster timing shared by coordinator and worker; they must agree. */
const clusterTiming = {
  LEASE_TTL_MS: ms(10_000, 'Session lease TTL. A worker that silently vanishes keeps its sessions this long; renewals happen every third of it.'),
  HEARTBEAT_INTERVAL_MS: ms(1000, 'How often workers heartbeat. A worker is dead after HEARTBEAT_DEAD_AFTER_MS without one.'),
  HEARTBEAT_DEAD_AFTER_MS: ms(3000, 'Heartbeat age after which a worker counts as dead (its sessions are reassigned; fast path when its connections are gone too).'),
};

/** Environment of `apps/coordinator`. */
export const coordinatorConfigSchema = z.object({
  ...baseFields(9090),
  ...clusterTiming,
  LEADER_TTL_MS: ms(5000, 'Coordinator leader lease TTL; a standby takes over within it.'),
  COORDINATOR_TICK_MS: ms(500, 'How often the leader re-plans assignments (it also reacts to events at once).'),
  REBALANCE_MAX_MOVES: envVar(positiveIntField(10, 'sessions per tick'), {
    description: 'Most sessions moved between live workers per tick when rebalancing.',
  }),
});

/** Environment of `apps/worker`. */
export const workerConfigSchema = z.object({
  ...baseFields(9091),
  ENCRYPTION_KEYS: encryptionKeysField,
  ...clusterTiming,
  WORKER_CAPACITY: envVar(positiveIntField(500, 'sessions'), {
    description: 'Most sessions this worker will own at once.',
  }),
  MAX_CONCURRENT_CONNECTS: envVar(positiveIntField(8, 'sockets'), {
    description: 'Connect storm control: most sockets connecting at once (with jitter) after a failover.',
  }),
  RECONCILE_INTERVAL_MS: ms(2000, 'Full reconcile of assignments (notifications make it immediate; this bounds a lost one).'),
  WA_WEBSOCKET_URL: envVar(z.string().regex(/^wss?:\/\/\S+$/, 'must be a ws:// or wss:// URL').optional(), {
    description: 'WhatsApp Web endpoint. Unset: WhatsApp itself. Point it at wa-sim in dev/test.',
  }),
  WA_SIM_ROOT_PUBLIC_KEY: envVar(
    z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length === 32, 'must be the base64 of a 32-byte key (printed by wa-sim)')
      .optional(),
    {
      description:
        'Trust this wa-sim root key instead of WhatsApp\'s (dev/test only; refused with NODE_ENV=production).',
    },
  ),
}).superRefine((cfg, ctx) => {
  if (cfg.NODE_ENV === 'production' && cfg.WA_SIM_ROOT_PUBLIC_KEY) {
    ctx.addIssue({ code: 'custom', path: ['WA_SIM_ROOT_PUBLIC_KEY'], message: 'must not be set with NODE_ENV=production: wa-sim is for dev and tests only' });
  }
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
