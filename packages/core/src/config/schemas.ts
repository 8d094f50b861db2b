import { z } from 'zod';
import { envVar } from './env-var.js';
import { baseFields, encryptionKeysField, positiveIntField } from './fields.js';

const HOST_OR_CIDR = /^([A-Za-z0-9.-]+|[0-9A-Fa-f:.]+(\/\d{1,3})?)$/;

/** Environment of `apps/api`. */
export const apiConfigSchema = z
  .object({
    ...baseFields(8080),
    ENCRYPTION_KEYS: encryptionKeysField,
    API_ADMIN_KEY: envVar(
      z
        .string({
          error: 'is required: the bootstrap admin API key, e.g. $(openssl rand -base64 32)',
        })
        .min(32, 'must be at least 32 characters (e.g. openssl rand -base64 32)'),
      {
        description:
          'Bootstrap API key with the `admin` scope (send it as `Authorization: Bearer <key>`); use it to create scoped keys at `POST /v1/api-keys`. Rotate by changing it.',
        secret: true,
      },
    ),
    SCAN_TOKEN_SECRET: envVar(z.string().min(32, 'must be at least 32 characters').optional(), {
      description:
        'Secret HMAC key (32+ characters) of scan-page links. Default: derived from API_ADMIN_KEY (rotating that key then invalidates open links).',
    }),
    SCAN_TOKEN_TTL_SECONDS: envVar(positiveIntField(600, 'seconds'), {
      description: 'Lifetime of a scan-page link issued by `POST /v1/sessions/:id/scan-token`.',
    }),
    API_RATE_LIMIT_PER_MIN: envVar(positiveIntField(600, 'requests per minute'), {
      description: 'Requests per API key per minute (fixed window in Redis); over it: 429.',
    }),
    API_BODY_LIMIT_BYTES: envVar(positiveIntField(1_048_576, 'bytes'), {
      description:
        'Largest request body; bigger ones get 413. Send large media by `url` rather than raising it.',
    }),
    PUBLIC_BASE_URL: envVar(
      z
        .string()
        .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'must be an http(s) URL')
        .optional(),
      {
        description:
          'How users reach the api (for scan links in responses), e.g. https://wafleet.example.com. Default: the scheme and Host header of the request.',
      },
    ),
    WEBHOOK_ALLOWLIST: envVar(
      z
        .string()
        .refine(
          (v) =>
            v
              .split(',')
              .map((e) => e.trim())
              .every((e) => e === '' || HOST_OR_CIDR.test(e)),
          'must be a comma list of host names, IP addresses or CIDR ranges',
        )
        .optional(),
      {
        description:
          'Webhook targets allowed although private, loopback or link-local (denied by default): host names, IPs or CIDRs, comma separated, e.g. `127.0.0.1,10.0.0.0/8`.',
      },
    ),
    WEBHOOK_MAX_ATTEMPTS: envVar(positiveIntField(8, 'attempts'), {
      description: 'Tries per webhook delivery before it goes to the dead-letter set.',
    }),
    WEBHOOK_BACKOFF_MS: envVar(positiveIntField(1000, 'milliseconds'), {
      description: 'First webhook retry delay; doubles with every attempt.',
    }),
    WEBHOOK_TIMEOUT_MS: envVar(positiveIntField(10_000, 'milliseconds'), {
      description: 'A webhook receiver must answer within this.',
    }),
    WA_SIM_CONTROL_URL: envVar(
      z
        .string()
        .regex(/^https?:\/\/\S+$/, 'must be an http(s) URL')
        .optional(),
      {
        description:
          'Demo mode: the wa-sim control API; the scan page then offers "scan with the simulated phone" (refused with NODE_ENV=production).',
      },
    ),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.NODE_ENV === 'production' && cfg.WA_SIM_CONTROL_URL) {
      ctx.addIssue({
        code: 'custom',
        path: ['WA_SIM_CONTROL_URL'],
        message: 'must not be set with NODE_ENV=production: wa-sim is for dev and tests only',
      });
    }
  });

const ms = (fallback: number, description: string) =>
  envVar(positiveIntField(fallback, 'milliseconds'), { description });

/** Cluster timing shared by coordinator and worker; they must agree. */
const clusterTiming = {
  LEASE_TTL_MS: ms(
    10_000,
    'Session lease TTL. A worker that silently vanishes keeps its sessions this long; renewals happen every third of it.',
  ),
  HEARTBEAT_INTERVAL_MS: ms(
    1000,
    'How often workers heartbeat. A worker is dead after HEARTBEAT_DEAD_AFTER_MS without one.',
  ),
  HEARTBEAT_DEAD_AFTER_MS: ms(
    3000,
    'Heartbeat age after which a worker counts as dead (its sessions are reassigned; fast path when its connections are gone too).',
  ),
};

/** Environment of `apps/coordinator`. */
export const coordinatorConfigSchema = z.object({
  ...baseFields(9090),
  ...clusterTiming,
  LEADER_TTL_MS: ms(5000, 'Coordinator leader lease TTL; a standby takes over within it.'),
  COORDINATOR_TICK_MS: ms(
    500,
    'How often the leader re-plans assignments (it also reacts to events at once).',
  ),
  REBALANCE_MAX_MOVES: envVar(positiveIntField(10, 'sessions per tick'), {
    description: 'Most sessions moved between live workers per tick when rebalancing.',
  }),
  SESSION_MONITOR_INTERVAL_MS: ms(
    5000,
    'How often the leader checks every session, worker and send queue for alerts.',
  ),
  SESSION_DOWN_ALERT_AFTER_MS: ms(
    300_000,
    'A session desired running but not open for this long raises a session_down alert.',
  ),
  QUEUE_STUCK_ALERT_AFTER_MS: ms(
    300_000,
    'A send queue with waiting jobs that has not shrunk for this long raises a queue_stuck alert.',
  ),
  ALERT_RESOLVE_AFTER_MS: ms(
    60_000,
    'Hysteresis: an open alert resolves only after its condition has been clear this long, so a flapping session does not spam.',
  ),
  ALERT_WEBHOOK_URL: envVar(
    z
      .string()
      .regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL')
      .optional(),
    {
      description:
        'Optional incoming webhook (Slack/Telegram-style) that receives `{ text, alert }` when an alert opens or resolves.',
    },
  ),
  ALERT_WEBHOOK_SECRET: envVar(z.string().min(16, 'must be at least 16 characters').optional(), {
    description:
      'Secret HMAC key (optional): alert webhooks then carry `X-Wafleet-Signature: sha256=<hex>` over `<timestamp>.<body>` and `X-Wafleet-Timestamp`.',
  }),
});

/** Environment of `apps/worker`. */
export const workerConfigSchema = z
  .object({
    ...baseFields(9091),
    ENCRYPTION_KEYS: encryptionKeysField,
    ...clusterTiming,
    WORKER_CAPACITY: envVar(positiveIntField(500, 'sessions'), {
      description: 'Most sessions this worker will own at once.',
    }),
    MAX_CONCURRENT_CONNECTS: envVar(positiveIntField(8, 'sockets'), {
      description:
        'Connect storm control: most sockets connecting at once (with jitter) after a failover.',
    }),
    AUTH_KEY_CACHE_BYTES: envVar(
      z.coerce
        .number({ error: 'must be a number (bytes)' })
        .int('must be a whole number')
        .min(0, 'must be 0 (no cache) or more')
        .default(262_144),
      {
        description:
          "Per owned session, bytes of decrypted Signal keys kept in memory (write-through, updated only after Redis stored the write; 0 = read every key from Redis). A session's keys are written only by its one owner, so the cache cannot go stale.",
      },
    ),
    SEND_ACK_TIMEOUT_MS: ms(
      20_000,
      'A send whose server ack does not arrive within this is retried with the same message id.',
    ),
    SEND_RATE_MAX_PER_SECOND: envVar(positiveIntField(1, 'messages per second').optional(), {
      description:
        "Default send rate per session (unofficial numbers: 1/s, like a person typing). A session's own settings.rateLimit overrides it.",
    }),
    METRICS_PER_SESSION: envVar(
      z
        .enum(['true', 'false'], { error: 'must be true or false' })
        .default('false')
        .transform((v) => v === 'true'),
      {
        description:
          'Also export per-session series labelled by session id (never phone numbers). Cardinality grows with the fleet.',
      },
    ),
    RECONCILE_INTERVAL_MS: ms(
      2000,
      'Full reconcile of assignments (notifications make it immediate; this bounds a lost one).',
    ),
    DRAIN_HANDOFF_BATCH: envVar(positiveIntField(8, 'sessions'), {
      description:
        'SIGTERM drain: sessions handed to their new owner per wave (each wave waits until its sessions are open elsewhere), so each session is down only for its own handover.',
    }),
    DRAIN_BUDGET_MS: ms(
      20_000,
      'SIGTERM drain: longest time spent handing sessions over in waves (capped 3 s under SHUTDOWN_TIMEOUT_MS); the rest is then released at once.',
    ),
    CLOUD_TOKEN_CHECK_INTERVAL_MS: ms(
      21_600_000,
      'Cloud API sessions: how often the worker checks each access token (debug_token) and refreshes user tokens due.',
    ),
    CLOUD_TOKEN_REFRESH_AHEAD_MS: ms(
      604_800_000,
      'Cloud API sessions: a user token is exchanged for a new long-lived one this long before it expires.',
    ),
    CLOUD_TOKEN_WARN_AHEAD_MS: ms(
      864_000_000,
      'Cloud API sessions: a session.token_expiring event is emitted when a token expires within this.',
    ),
    WA_WEBSOCKET_URL: envVar(
      z
        .string()
        .regex(/^wss?:\/\/\S+$/, 'must be a ws:// or wss:// URL')
        .optional(),
      {
        description:
          'WhatsApp Web endpoint. Unset: WhatsApp itself. Point it at wa-sim in dev/test.',
      },
    ),
    WA_SIM_ROOT_PUBLIC_KEY: envVar(
      z
        .string()
        .refine(
          (v) => Buffer.from(v, 'base64').length === 32,
          'must be the base64 of a 32-byte key (printed by wa-sim)',
        )
        .optional(),
      {
        description:
          "Trust this wa-sim root key instead of WhatsApp's (dev/test only; refused with NODE_ENV=production).",
      },
    ),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.NODE_ENV === 'production' && cfg.WA_SIM_ROOT_PUBLIC_KEY) {
      ctx.addIssue({
        code: 'custom',
        path: ['WA_SIM_ROOT_PUBLIC_KEY'],
        message: 'must not be set with NODE_ENV=production: wa-sim is for dev and tests only',
      });
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
