import type { SessionRecord } from '@wafleet/redis';
import { z } from 'zod';
import { readSettings } from './session-settings.js';

/** The phone number (`+<digits>`) of an own jid such as `15551234567:3@s.whatsapp.net`. */
export function phoneOf(me: string | undefined): string | null {
  const digits = /^(\d{5,20})[:@]/.exec(me ?? '')?.[1];
  return digits ? `+${digits}` : null;
}

/** zod schema of a session as the API shows it. */
export const sessionViewSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['baileys', 'cloud']),
    name: z.string(),
    desired: z.enum(['running', 'stopped']).describe('What the operator asked for'),
    state: z
      .string()
      .describe('stopped, connecting, qr, pairing_code, open, reconnecting, logged_out, failed'),
    stateSince: z.string().describe('ISO 8601'),
    owner: z.string().nullable().describe('Worker that holds the session'),
    lastDisconnect: z
      .object({ code: z.number().nullable(), reason: z.string().nullable() })
      .nullable(),
    me: z.string().nullable().describe('Own WhatsApp jid once logged in'),
    phone: z.string().nullable().describe('+<digits> once logged in'),
    createdAt: z.string(),
    webhook: z
      .object({ url: z.string(), events: z.array(z.string()) })
      .nullable()
      .describe('The secret is never shown again after it was set'),
    rateLimit: z.object({ max: z.number(), durationMs: z.number() }).nullable(),
    cloud: z
      .looseObject({ phoneNumberId: z.string() })
      .optional()
      .describe('kind cloud: the Graph config and token checks, never the token or app secret'),
  })
  .describe('Session');

export type SessionView = z.output<typeof sessionViewSchema>;

/** Renders a record for the API (never the webhook secret). */
export function toSessionView(record: SessionRecord): SessionView {
  const settings = readSettings(record);
  const hasDisconnect = record.lastCode !== undefined || record.lastReason !== undefined;
  return {
    id: record.id,
    kind: record.kind,
    name: record.name,
    desired: record.desired,
    state: record.state,
    stateSince: new Date(record.stateSince || record.createdAt || 0).toISOString(),
    owner: record.owner ?? null,
    lastDisconnect: hasDisconnect
      ? { code: record.lastCode ?? null, reason: record.lastReason ?? null }
      : null,
    me: record.me ?? null,
    phone: phoneOf(record.me),
    createdAt: new Date(record.createdAt || 0).toISOString(),
    webhook: settings.webhook
      ? { url: settings.webhook.url, events: settings.webhook.events }
      : null,
    rateLimit: settings.rateLimit ?? null,
  };
}
