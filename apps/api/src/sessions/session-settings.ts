import type { SessionRecord } from '@wafleet/redis';
import { z } from 'zod';

/** Event types a webhook can subscribe to (default: all of them). */
export const WEBHOOK_EVENT_TYPES = [
  'session.status',
  'session.qr',
  'session.pairing_code',
  'message.received',
  'message.sent',
  'message.status',
  'message.failed',
  // Cloud API sessions: token lifecycle.
  'session.token_invalid',
  'session.token_expiring',
  'session.token_refreshed',
  'session.token_refresh_failed',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

const MAX_URL = 2048;

/** Syntax of a webhook URL (the address policy is checked separately, with DNS). */
export const webhookUrlSchema = z
  .string({ error: 'must be a string' })
  .max(MAX_URL, { error: `must be at most ${MAX_URL} characters` })
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (
          (url.protocol === 'http:' || url.protocol === 'https:') &&
          url.hostname !== '' &&
          url.username === '' &&
          url.password === ''
        );
      } catch {
        return false;
      }
    },
    { error: 'must be an http or https URL without user or password' },
  );

/** Webhook settings as a caller sends them. */
export const webhookInputSchema = z.strictObject({
  url: webhookUrlSchema,
  secret: z
    .string({ error: 'must be a string' })
    .min(16, { error: 'must be at least 16 characters' })
    .max(256, { error: 'must be at most 256 characters' })
    .regex(/^[\x21-\x7e]+$/, { error: 'must be visible ASCII characters' })
    .optional()
    .describe('HMAC key for X-Wafleet-Signature; generated (and returned once) when absent'),
  events: z
    .array(
      z.enum(WEBHOOK_EVENT_TYPES, { error: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` }),
    )
    .min(1, { error: 'must list at least one event type' })
    .max(WEBHOOK_EVENT_TYPES.length * 2, { error: 'lists too many event types' })
    .optional()
    .describe('Event types to deliver; default all'),
});

export type WebhookInput = z.output<typeof webhookInputSchema>;

/** The per-number send rate (the session queue's limiter): at most `max` sends per `durationMs`. */
export const rateLimitSchema = z.strictObject({
  max: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(1, { error: 'must be at least 1' })
    .max(1000, { error: 'must be at most 1000' }),
  durationMs: z
    .number({ error: 'must be a number' })
    .int({ error: 'must be an integer' })
    .min(100, { error: 'must be at least 100 (ms)' })
    .max(86_400_000, { error: 'must be at most 86400000 (one day)' }),
});

export type RateLimitSetting = z.output<typeof rateLimitSchema>;

/** What the api keeps in `settings` of a session record. */
export interface StoredSettings {
  webhook?: { url: string; secret: string; events: WebhookEventType[] };
  rateLimit?: RateLimitSetting;
}

/** Reads settings defensively (records are written by this api, but Redis is shared). */
export function readSettings(record: Pick<SessionRecord, 'settings'>): StoredSettings {
  const s = record.settings;
  const out: StoredSettings = {};
  const w = s.webhook as Partial<NonNullable<StoredSettings['webhook']>> | undefined;
  if (w && typeof w.url === 'string' && typeof w.secret === 'string') {
    const events = Array.isArray(w.events)
      ? w.events.filter((e): e is WebhookEventType =>
          (WEBHOOK_EVENT_TYPES as readonly string[]).includes(e),
        )
      : [...WEBHOOK_EVENT_TYPES];
    out.webhook = { url: w.url, secret: w.secret, events };
  }
  const parsed = rateLimitSchema.safeParse(s.rateLimit);
  if (parsed.success) out.rateLimit = parsed.data;
  return out;
}
