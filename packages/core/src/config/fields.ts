import { z } from 'zod';
import { envVar } from './env-var.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const port = (fallback: number) =>
  z.coerce
    .number({ error: 'must be a port number' })
    .int('must be a whole number')
    .min(0, 'must be between 0 and 65535 (0 picks a free port)')
    .max(65535, 'must be between 0 and 65535 (0 picks a free port)')
    .default(fallback);

const positiveInt = (fallback: number, what: string) =>
  z.coerce
    .number({ error: `must be a number (${what})` })
    .int('must be a whole number')
    .positive('must be greater than 0')
    .default(fallback);

/** Redis URL: `redis://`, `rediss://`, `redis+sentinel://` or `redis+cluster://`. */
export const redisUrlField = envVar(
  z
    .string({ error: 'is required (e.g. redis://127.0.0.1:6379)' })
    .refine((v) => /^(redis|rediss|redis\+sentinel|redis\+cluster):\/\/\S+$/.test(v), {
      message:
        'must start with redis://, rediss://, redis+sentinel:// or redis+cluster:// (see README "Redis")',
    }),
  {
    description:
      'Redis connection. `redis://[user:pass@]host:port[/db]`, `rediss://` for TLS, `redis+sentinel://host:port,host:port/<master>`, `redis+cluster://host:port,host:port`. The README run command starts a local Redis when unset.',
    secret: true,
    example: 'redis://127.0.0.1:6379',
  },
);

/** Keys shared by every app. */
export function baseFields(defaultPort: number) {
  return {
    NODE_ENV: envVar(
      z
        .enum(['development', 'test', 'production'], {
          error: 'must be development, test or production',
        })
        .default('development'),
      { description: 'Runtime mode. `production` refuses test-only options (trusting wa-sim).' },
    ),
    LOG_LEVEL: envVar(
      z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
      { description: 'pino log level.' },
    ),
    REDIS_URL: redisUrlField,
    REDIS_KEY_PREFIX: envVar(
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,32}$/, 'must be 1-32 characters of A-Z, a-z, 0-9, "_" or "-"')
        .default('wf'),
      {
        description:
          'Prefix of every Redis key and queue, so several deployments can share a Redis.',
      },
    ),
    INSTANCE_ID: envVar(
      z
        .string()
        .regex(
          /^[A-Za-z0-9._-]{1,100}$/,
          'must be 1-100 characters of A-Z, a-z, 0-9, ".", "_" or "-"',
        )
        .optional(),
      {
        description:
          'Stable id of this process (metrics label, Redis client name). Default: `<app>-<host>-<pid>-<random>`.',
      },
    ),
    HTTP_HOST: envVar(z.string().min(1).default('0.0.0.0'), {
      description: 'Address the HTTP server (health, metrics and, for the api, the API) binds to.',
    }),
    HTTP_PORT: envVar(port(defaultPort), {
      description: 'Port of the HTTP server (/healthz, /readyz, /metrics).',
    }),
    SHUTDOWN_TIMEOUT_MS: envVar(positiveInt(25_000, 'milliseconds'), {
      description:
        'Upper bound for the graceful shutdown sequence; the process exits after it. Keep it below the orchestrator grace period (Kubernetes: 30 s).',
    }),
  };
}

const KEY_ENTRY = /^([A-Za-z0-9_-]{1,16}):([A-Za-z0-9+/=_-]+)$/;

/** Parsed `ENCRYPTION_KEYS`: the first key encrypts, all keys decrypt (rotation). */
export interface EncryptionKeyring {
  currentKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/** `ENCRYPTION_KEYS=k2:<base64 32 bytes>,k1:<base64 32 bytes>` — first is current. */
export const encryptionKeysField = envVar(
  z
    .string({
      error:
        'is required: a comma list of <id>:<base64 32-byte key>, e.g. k1:$(openssl rand -base64 32)',
    })
    .transform((raw, ctx): EncryptionKeyring => {
      const keys = new Map<string, Buffer>();
      let currentKeyId = '';
      for (const [index, part] of raw.split(',').entries()) {
        const m = KEY_ENTRY.exec(part.trim());
        const id = m?.[1];
        const b64 = m?.[2];
        if (!id || !b64) {
          ctx.addIssue({
            code: 'custom',
            message: `entry ${index + 1} must look like <id>:<base64 key> (id: 1-16 of A-Z, a-z, 0-9, "_", "-")`,
          });
          return z.NEVER;
        }
        const key = Buffer.from(b64, 'base64');
        if (key.length !== 32) {
          ctx.addIssue({
            code: 'custom',
            message: `key "${id}" must decode from base64 to exactly 32 bytes (got ${key.length}); generate one with: openssl rand -base64 32`,
          });
          return z.NEVER;
        }
        if (keys.has(id)) {
          ctx.addIssue({ code: 'custom', message: `key id "${id}" appears twice` });
          return z.NEVER;
        }
        if (index === 0) currentKeyId = id;
        keys.set(id, key);
      }
      return { currentKeyId, keys };
    }),
  {
    description:
      'Keys for encryption at rest (AES-256-GCM) of auth state and Cloud API tokens: `<id>:<base64 32 bytes>`, comma separated. The first encrypts; all decrypt, so add a new key in front to rotate.',
    secret: true,
    example: 'k1:<openssl rand -base64 32>',
  },
);

export { port as portField, positiveInt as positiveIntField };
