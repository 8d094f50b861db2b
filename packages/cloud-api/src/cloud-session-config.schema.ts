import { z } from 'zod';

/** How a Cloud API session authenticates to Graph, as stored (secrets decrypted). */
export interface CloudSessionConfig {
  /** The business phone number's id in WhatsApp Manager (not the phone number itself). */
  phoneNumberId: string;
  wabaId?: string;
  accessToken: string;
  /** `system_user` tokens do not expire (or are rotated by hand); `user` tokens are refreshed. */
  tokenType: 'system_user' | 'user';
  appId?: string;
  appSecret?: string;
  /** What Meta must echo on the webhook verification request. */
  webhookVerifyToken?: string;
  graphVersion: string;
  baseUrl: string;
  /** Epoch ms; 0 or absent = never/unknown. */
  tokenExpiresAt?: number;
}

/** Default Graph API version of new sessions. */
export const DEFAULT_GRAPH_VERSION = 'v21.0';
/** Default Graph API base URL. */
export const DEFAULT_GRAPH_BASE_URL = 'https://graph.facebook.com';

function digits(what: string) {
  return z
    .string({ error: `must be the ${what} (a string of digits)` })
    .regex(/^\d{1,32}$/, { error: `must be the ${what}: 1-32 digits` });
}

function visibleAscii(min: number, max: number, what: string) {
  return z
    .string({ error: `must be the ${what} as a string` })
    .min(min, { error: `must be at least ${min} characters (the ${what})` })
    .max(max, { error: `must be at most ${max} characters` })
    .regex(/^[\x21-\x7e]*$/, {
      error: 'must be visible ASCII only (no spaces, quotes from a word processor or line breaks)',
    });
}

const baseUrl = z
  .string({ error: 'must be a URL like https://graph.facebook.com' })
  .max(2048, { error: 'must be at most 2048 characters' })
  .transform((value, ctx) => {
    const trimmed = value.trim().replace(/\/+$/, '');
    let url: URL | undefined;
    try {
      url = new URL(trimmed);
    } catch {
      url = undefined;
    }
    if (
      url === undefined ||
      (url.protocol !== 'http:' && url.protocol !== 'https:') ||
      url.hostname === '' ||
      url.search !== '' ||
      url.hash !== '' ||
      url.username !== '' ||
      url.password !== ''
    ) {
      ctx.issues.push({
        code: 'custom',
        message:
          'must be an http or https URL without query, fragment or credentials, like https://graph.facebook.com',
        input: value,
      });
      return z.NEVER;
    }
    return trimmed;
  });

/**
 * The Cloud API part of a session as an HTTP caller gives it. A `user` token expires (about 60
 * days) and is refreshed by exchanging it, which needs the app's id and secret.
 */
export const cloudSessionConfigSchema = z
  .strictObject({
    phoneNumberId: digits('phone number id from WhatsApp Manager'),
    wabaId: digits('WhatsApp Business Account id').optional(),
    accessToken: visibleAscii(20, 4096, 'access token'),
    tokenType: z
      .enum(['system_user', 'user'], { error: 'must be system_user or user' })
      .default('system_user'),
    appId: digits('Meta app id').optional(),
    appSecret: visibleAscii(16, 256, 'app secret').optional(),
    webhookVerifyToken: visibleAscii(8, 256, 'webhook verify token').optional(),
    graphVersion: z
      .string({ error: 'must be a Graph API version like v21.0' })
      .regex(/^v\d+\.\d+$/, { error: 'must be a Graph API version like v21.0' })
      .default(DEFAULT_GRAPH_VERSION),
    baseUrl: baseUrl.default(DEFAULT_GRAPH_BASE_URL),
    tokenExpiresAt: z
      .number()
      .int({ error: 'must be epoch milliseconds (0 = never)' })
      .min(0, { error: 'must be epoch milliseconds (0 = never)' })
      .optional(),
  })
  .superRefine((config, ctx) => {
    if (config.tokenType !== 'user') return;
    const missing = (['appId', 'appSecret'] as const).filter((f) => config[f] === undefined);
    for (const field of missing) {
      ctx.addIssue({
        code: 'custom',
        path: [field],
        message:
          'is required for tokenType "user": user tokens expire and are refreshed with appId and appSecret (or use a system_user token)',
      });
    }
  });

/** What an HTTP caller may send (defaults not yet applied). */
export type CloudSessionConfigInput = z.input<typeof cloudSessionConfigSchema>;
