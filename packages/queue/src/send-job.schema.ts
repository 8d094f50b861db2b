import { z } from 'zod';
import { isValidSessionId, SESSION_ID_RULE } from '@wafleet/core';
import {
  BASE64_RULE,
  DEFAULT_SEND_LIMITS,
  MEDIA_MIME_TYPES,
  VOICE_NOTE_MIME_TYPE,
  base64DecodedBytes,
  baseMimeType,
  describeBytes,
  type MediaType,
  type SendLimits,
} from './media-rules.js';
import { MESSAGE_ID_PATTERN } from './message-id.js';
import { isRecipientJid, normalizeRecipient, RECIPIENT_RULE } from './recipient.js';

/** Every content `type` a send can carry. */
export const CONTENT_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
  'contact',
  'reaction',
  'template',
] as const;

/** One of {@link CONTENT_TYPES}. */
export type ContentType = (typeof CONTENT_TYPES)[number];

export const CONTENT_TYPE_RULE = `must be one of ${CONTENT_TYPES.join(', ')}`;

/** Rule of an idempotency key: visible ASCII only, so it is safe in logs, URLs and headers. */
export const IDEMPOTENCY_KEY_RULE =
  'must be 1-200 visible ASCII characters (no spaces or control characters)';
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,200}$/;

/** Lowest and highest `priority`; 1 is the most urgent. */
export const PRIORITY_RANGE = { min: 1, max: 100, default: 50 } as const;

const MESSAGE_REF_RULE =
  'must be a WhatsApp message id (1-128 characters of A-Z, a-z, 0-9, _ or -) or a Cloud API id (wamid.…)';
const MESSAGE_REF = /^(?:[A-Za-z0-9_-]{1,128}|wamid\.[A-Za-z0-9+/=_-]{1,256})$/;
const MEDIA_ID_RULE = 'must be a Cloud API media id (digits, from an upload)';
const MEDIA_ID = /^[0-9]{1,32}$/;
const TEMPLATE_NAME_RULE = 'must be a template name (1-512 characters of a-z, 0-9 or _)';
const TEMPLATE_NAME = /^[a-z0-9_]{1,512}$/;
const TEMPLATE_LANGUAGE_RULE = 'must be a template language code like en or en_US';
const TEMPLATE_LANGUAGE = /^[a-z]{2,3}(?:_[A-Z]{2})?$/;
const MAX_TEMPLATE_COMPONENTS = 20;
const MAX_MENTIONS = 256;
const MAX_URL_CHARS = 4096;
const MAX_VCARD_CHARS = 65_536;

function text(max: number, what = 'characters') {
  return z
    .string()
    .min(1, { error: 'must not be empty' })
    .max(max, { error: `must be at most ${max} ${what}` });
}

const recipient = z.string().transform((value, ctx) => {
  const jid = normalizeRecipient(value);
  if (jid === undefined) {
    ctx.issues.push({ code: 'custom', message: RECIPIENT_RULE, input: value });
    return z.NEVER;
  }
  return jid;
});

const messageRef = z.string().regex(MESSAGE_REF, { error: MESSAGE_REF_RULE });

const httpUrl = z
  .string()
  .max(MAX_URL_CHARS, { error: `must be at most ${MAX_URL_CHARS} characters` })
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
      } catch {
        return false;
      }
    },
    { error: 'must be an http or https URL' },
  );

/** Fields shared by text and media messages. */
const threading = {
  replyTo: messageRef.optional(),
  mentions: z
    .array(recipient)
    .max(MAX_MENTIONS, { error: `must have at most ${MAX_MENTIONS} entries` })
    .optional(),
};

/** The fields every media message has, as the refinement below reads them. */
interface MediaFields {
  url?: string | undefined;
  base64?: string | undefined;
  mediaId?: string | undefined;
  mimetype?: string | undefined;
  voiceNote?: boolean | undefined;
}

const mediaSource = {
  url: httpUrl.optional(),
  base64: z.string().optional(),
  /** A Cloud API media id from an upload (cloud sessions only). */
  mediaId: z.string().regex(MEDIA_ID, { error: MEDIA_ID_RULE }).optional(),
  mimetype: z.string().optional(),
};

/** Cross-field rules of a media message: one source, valid base64 under the cap, allowed mime. */
function mediaRules(type: MediaType, limits: SendLimits) {
  const maxBytes = type === 'document' ? limits.documentMaxBytes : limits.mediaMaxBytes;
  return (media: MediaFields, ctx: z.RefinementCtx): void => {
    const sources = [media.url, media.base64, media.mediaId].filter((v) => v !== undefined);
    if (sources.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message: 'must have exactly one of url, base64 or mediaId',
        path: [],
      });
    }
    if (media.base64 !== undefined) {
      // Reject by length first: a regex over an oversized payload is wasted work.
      const bound = Math.ceil(maxBytes / 3) * 4;
      const bytes = media.base64.length > bound ? Infinity : base64DecodedBytes(media.base64);
      if (bytes === undefined) {
        ctx.addIssue({ code: 'custom', message: BASE64_RULE, path: ['base64'] });
      } else if (bytes > maxBytes) {
        ctx.addIssue({
          code: 'custom',
          message: `must decode to at most ${describeBytes(maxBytes)} for ${type}`,
          path: ['base64'],
        });
      }
    }
    if (media.mimetype === undefined) {
      if (type === 'document' && media.mediaId === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be given (like application/pdf) for a document sent by url or base64',
          path: ['mimetype'],
        });
      }
      return;
    }
    const base = baseMimeType(media.mimetype);
    if (type === 'document') {
      if (base === undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a mime type like application/pdf',
          path: ['mimetype'],
        });
      }
      return;
    }
    const allowed = MEDIA_MIME_TYPES[type];
    if (base === undefined || !allowed.includes(base)) {
      ctx.addIssue({
        code: 'custom',
        message: `must be one of ${allowed.join(', ')} for ${type}`,
        path: ['mimetype'],
      });
    } else if (type === 'audio' && media.voiceNote === true && base !== VOICE_NOTE_MIME_TYPE) {
      ctx.addIssue({
        code: 'custom',
        message: `must be ${VOICE_NOTE_MIME_TYPE} (Opus) for a voice note`,
        path: ['mimetype'],
      });
    }
  };
}

// One grapheme cluster that is an emoji: pictographs, flags (regional indicator pairs), keycaps.
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
function isSingleEmoji(value: string): boolean {
  const graphemes = [...segmenter.segment(value)];
  if (graphemes.length !== 1) return false;
  return (
    /\p{Extended_Pictographic}/u.test(value) ||
    /^\p{Regional_Indicator}{2}$/u.test(value) ||
    /^[0-9#*]\uFE0F?\u20E3$/u.test(value)
  );
}

/** The zod schema of message content, for the given caps. */
export function sendContentSchema(limits: SendLimits = DEFAULT_SEND_LIMITS) {
  const caption = text(limits.captionMaxChars).optional();
  return z.discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('text'),
      text: text(limits.textMaxChars),
      ...threading,
    }),
    z
      .strictObject({ type: z.literal('image'), ...mediaSource, caption, ...threading })
      .superRefine(mediaRules('image', limits)),
    z
      .strictObject({ type: z.literal('video'), ...mediaSource, caption, ...threading })
      .superRefine(mediaRules('video', limits)),
    z
      .strictObject({
        type: z.literal('audio'),
        ...mediaSource,
        /** Sent as a push-to-talk voice note (needs Ogg/Opus). */
        voiceNote: z.boolean().optional(),
        ...threading,
      })
      .superRefine(mediaRules('audio', limits)),
    z
      .strictObject({
        type: z.literal('document'),
        ...mediaSource,
        fileName: text(255).refine((name) => !/[/\\]|\p{Cc}/u.test(name), {
          error: 'must be a file name without path separators or control characters',
        }),
        mimetype: z.string().optional(),
        caption,
        ...threading,
      })
      .superRefine(mediaRules('document', limits)),
    z
      .strictObject({ type: z.literal('sticker'), ...mediaSource, replyTo: threading.replyTo })
      .superRefine(mediaRules('sticker', limits)),
    z.strictObject({
      type: z.literal('location'),
      latitude: z
        .number()
        .min(-90, { error: 'must be between -90 and 90' })
        .max(90, { error: 'must be between -90 and 90' }),
      longitude: z
        .number()
        .min(-180, { error: 'must be between -180 and 180' })
        .max(180, { error: 'must be between -180 and 180' }),
      name: text(256).optional(),
      address: text(1024).optional(),
      replyTo: threading.replyTo,
    }),
    z.strictObject({
      type: z.literal('contact'),
      displayName: text(256),
      vcard: z
        .string()
        .max(MAX_VCARD_CHARS, { error: `must be at most ${MAX_VCARD_CHARS} characters` })
        .refine((card) => /^BEGIN:VCARD\r?\n[\s\S]*\r?\nEND:VCARD$/i.test(card.trim()), {
          error: 'must be a vCard: start with BEGIN:VCARD and end with END:VCARD',
        }),
      replyTo: threading.replyTo,
    }),
    z.strictObject({
      type: z.literal('reaction'),
      targetMessageId: messageRef,
      /** True when the reacted-to message was sent by this session. */
      targetFromMe: z.boolean().optional(),
      /** In groups: who sent the reacted-to message. */
      targetParticipant: recipient.optional(),
      emoji: z.string().refine((emoji) => emoji === '' || isSingleEmoji(emoji), {
        error: 'must be a single emoji, or "" to remove the reaction',
      }),
    }),
    z.strictObject({
      type: z.literal('template'),
      /** An approved template of the business account (Cloud API sessions only). */
      name: z.string().regex(TEMPLATE_NAME, { error: TEMPLATE_NAME_RULE }),
      language: z.string().regex(TEMPLATE_LANGUAGE, { error: TEMPLATE_LANGUAGE_RULE }),
      /** Graph's template components (header/body/button parameters), passed through as given. */
      components: z
        .array(
          z.looseObject({
            type: z.enum(['header', 'body', 'button', 'footer'], {
              error: 'must be header, body, button or footer',
            }),
            parameters: z.array(z.looseObject({ type: z.string().min(1) })).optional(),
          }),
        )
        .max(MAX_TEMPLATE_COMPONENTS, {
          error: `must have at most ${MAX_TEMPLATE_COMPONENTS} components`,
        })
        .optional(),
      replyTo: threading.replyTo,
    }),
  ]);
}

/** Message content after validation (recipients in `mentions` normalised to jids). */
export type SendContent = z.output<ReturnType<typeof sendContentSchema>>;
/** Message content as a producer writes it. */
export type SendContentInput = z.input<ReturnType<typeof sendContentSchema>>;

const EXPIRES_AT_RULE =
  'must be an ISO 8601 date-time with a time zone (2030-01-01T12:00:00Z) or epoch milliseconds';
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i;

/** `expiresAt` as epoch ms, or undefined when it is neither an ISO date-time nor epoch ms. */
export function parseExpiresAt(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  }
  if (typeof value === 'string' && ISO_DATE_TIME.test(value)) {
    const ms = Date.parse(value);
    return Number.isFinite(ms) ? ms : undefined;
  }
  return undefined;
}

const priority = z
  .number()
  .int({ error: `must be an integer from ${PRIORITY_RANGE.min} to ${PRIORITY_RANGE.max}` })
  .min(PRIORITY_RANGE.min, {
    error: `must be an integer from ${PRIORITY_RANGE.min} to ${PRIORITY_RANGE.max}`,
  })
  .max(PRIORITY_RANGE.max, {
    error: `must be an integer from ${PRIORITY_RANGE.min} to ${PRIORITY_RANGE.max}`,
  });

const idempotencyKey = z.string().regex(IDEMPOTENCY_KEY, { error: IDEMPOTENCY_KEY_RULE });
const sessionId = z.string().refine(isValidSessionId, { error: `must be ${SESSION_ID_RULE}` });

/** Options a producer may pass with a send. */
export const sendOptionsInputSchema = z.strictObject({
  idempotencyKey: idempotencyKey.optional(),
  expiresAt: z
    .unknown()
    .transform((value, ctx) => {
      if (value === undefined) return undefined;
      const ms = parseExpiresAt(value);
      if (ms === undefined) {
        ctx.issues.push({ code: 'custom', message: EXPIRES_AT_RULE, input: value });
        return z.NEVER;
      }
      return ms;
    })
    .optional(),
  priority: priority.optional(),
});

/** What a producer may pass as send options. */
export interface SendOptionsInput {
  /** Same key → same job, same WhatsApp message id, one message. Generated when absent. */
  idempotencyKey?: string;
  /** After this instant the job fails with `expired` instead of sending (ISO string or epoch ms). */
  expiresAt?: string | number;
  /** 1 (most urgent) … 100; default 50. Jobs of one priority keep their order. */
  priority?: number;
}

/** The schema of a send request as producers (client, HTTP API) hand it in. */
export function sendRequestSchema(limits: SendLimits = DEFAULT_SEND_LIMITS) {
  return z.strictObject({
    sessionId,
    to: recipient,
    content: sendContentSchema(limits),
    options: sendOptionsInputSchema.optional(),
  });
}

/** A send request as a producer hands it in. */
export interface SendRequest {
  sessionId: string;
  to: string;
  content: SendContentInput;
  options?: SendOptionsInput;
}

/** The current version of the stored job payload. Workers refuse versions they do not know. */
export const SEND_JOB_VERSION = 1;

/** The schema of the payload stored in BullMQ (v1). Parsed again by the worker before sending. */
export function sendJobSchema(limits: SendLimits = DEFAULT_SEND_LIMITS) {
  return z.strictObject({
    v: z.literal(SEND_JOB_VERSION, {
      error: `must be ${SEND_JOB_VERSION} (this worker understands SendJob v${SEND_JOB_VERSION})`,
    }),
    sessionId,
    to: z.string().refine(isRecipientJid, { error: RECIPIENT_RULE }),
    content: sendContentSchema(limits),
    options: z.strictObject({
      idempotencyKey,
      expiresAt: z.number().int({ error: 'must be epoch milliseconds' }).positive().optional(),
      priority: priority.optional(),
    }),
    messageId: z.string().regex(MESSAGE_ID_PATTERN, {
      error: 'must be a message id (3EB0 + 18 uppercase hex characters)',
    }),
    enqueuedAt: z.number().int({ error: 'must be epoch milliseconds' }).positive(),
  });
}

/** A send job, version 1: what travels through the session's queue. */
export type SendJob = z.output<ReturnType<typeof sendJobSchema>>;
