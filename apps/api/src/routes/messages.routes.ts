import { CLOUD_LIMITS } from '@wafleet/cloud-api';
import type { FastifyInstance } from 'fastify';
import { SendValidationError, type SendStatus } from '@wafleet/client';
import {
  IDEMPOTENCY_KEY_RULE,
  MESSAGE_ID_PATTERN,
  parseSendJobId,
  sendContentSchema,
  type SendContentInput,
  type SendOptionsInput,
} from '@wafleet/queue';
import { z } from 'zod';
import { apiErrors } from '../errors.js';
import {
  errorResponses,
  KEY_SECURITY,
  sessionIdSchema,
  sessionParams,
} from '../http/common-schemas.js';
import { validationError } from '../http/zod-schema.js';
import type { ApiDeps } from './api-deps.js';

const optionsSchema = z.strictObject({
  idempotencyKey: z
    .string()
    .optional()
    .describe(`Same key → same job and message id; ${IDEMPOTENCY_KEY_RULE}`),
  expiresAt: z
    .union([z.string(), z.number()])
    .optional()
    .describe('ISO 8601 or epoch ms; not sent after it'),
  priority: z.number().optional().describe('1 (most urgent) … 100; default 50'),
});

// The shape is checked here; the content rules (one source of truth) by @wafleet/client's send.
const sendBody = z.strictObject({
  to: z.string({ error: 'must be a string' }).describe('E.164 number (+15551234567) or a jid'),
  content: z.looseObject({ type: z.string({ error: 'must be a string such as "text"' }) }),
  options: optionsSchema.optional(),
});

const sendBodyDocs = sendBody.extend({ content: sendContentSchema() });

const sendHeaders = z.looseObject({
  'idempotency-key': z.string().optional().describe(IDEMPOTENCY_KEY_RULE),
});

const messageParams = z.strictObject({
  id: sessionIdSchema,
  messageId: z.string().regex(MESSAGE_ID_PATTERN, {
    error: 'must be a message id (3EB0 + 18 uppercase hex characters)',
  }),
});

const jobParams = z.strictObject({
  id: z
    .string()
    .max(200, { error: 'must be at most 200 characters' })
    .refine((v) => parseSendJobId(v) !== undefined, {
      error: 'must be a send job id: <sessionId>.<messageId>',
    }),
});

const statusSchema = z
  .object({
    jobId: z.string(),
    sessionId: z.string(),
    messageId: z.string(),
    status: z.enum(['queued', 'sent', 'delivered', 'read', 'failed']),
    jobState: z.enum(['waiting', 'delayed', 'active', 'completed', 'failed', 'unknown']),
    attemptsMade: z.number().nullable(),
    reason: z.string().nullable().describe('Why it failed (or why the last try failed)'),
    error: z.string().nullable(),
    queuedAt: z.string().nullable(),
    sentAt: z.string().nullable(),
    providerMessageId: z
      .string()
      .nullable()
      .describe('Cloud API sessions: the Graph message id (wamid.…) once sent'),
    deliveredAt: z.string().nullable(),
    readAt: z.string().nullable(),
    failedAt: z.string().nullable(),
  })
  .describe('SendStatus');

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** One view of a send: the message record's status when there is one, else the job's. */
function toStatusView(s: SendStatus): z.output<typeof statusSchema> {
  const m = s.message;
  const fromJob = s.state === 'completed' ? 'sent' : s.state === 'failed' ? 'failed' : 'queued';
  const status = m?.status ?? fromJob;
  return {
    jobId: s.jobId,
    sessionId: s.sessionId,
    messageId: s.messageId,
    status,
    jobState: s.state,
    attemptsMade: s.attemptsMade ?? null,
    reason: m?.reason ?? s.failure?.reason ?? null,
    error: m?.error ?? s.failure?.message ?? null,
    queuedAt: iso(m?.queuedAt),
    sentAt: iso(m?.sentAt ?? s.result?.sentAt),
    providerMessageId: s.result?.providerMessageId ?? null,
    // Read implies delivered; when both receipts come at once only the read one may arrive.
    deliveredAt: iso(m?.deliveredAt ?? m?.readAt),
    readAt: iso(m?.readAt),
    failedAt: iso(m?.failedAt),
  };
}

/** Sends: enqueue (202), job status, message status. */
export function registerMessageRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.post(
    '/v1/sessions/:id/messages',
    {
      config: { auth: ['send'], docs: { body: sendBodyDocs } },
      schema: {
        summary: 'Enqueue a message; 202 with the job and WhatsApp message id',
        description:
          'The Idempotency-Key header (or options.idempotencyKey) makes retries safe: the same key gives the same job, the same message id and one message.',
        tags: ['messages'],
        security: KEY_SECURITY,
        params: sessionParams,
        headers: sendHeaders,
        body: sendBody,
        response: {
          202: z.object({ jobId: z.string(), messageId: z.string() }),
          ...errorResponses(404),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.output<typeof sessionParams>;
      const headers = request.headers as z.output<typeof sendHeaders>;
      const body = request.body as z.output<typeof sendBody>;
      const headerKey = headers['idempotency-key'];
      const bodyKey = body.options?.idempotencyKey;
      if (headerKey !== undefined && bodyKey !== undefined && headerKey !== bodyKey) {
        throw validationError([
          {
            path: 'header.idempotency-key',
            rule: 'must equal body.options.idempotencyKey when both are given',
          },
        ]);
      }
      const record = await deps.control.get(id);
      const content = body.content as { type?: unknown; mediaId?: unknown; mentions?: unknown };
      if (record.kind === 'baileys' && content.type === 'template') {
        throw validationError([
          {
            path: 'body.content.type',
            rule: 'template messages need a session of kind cloud (the official Cloud API)',
          },
        ]);
      }
      if (record.kind === 'baileys' && content.mediaId !== undefined) {
        throw validationError([
          {
            path: 'body.content.mediaId',
            rule: 'is a Cloud API upload id: on a baileys session send url or base64',
          },
        ]);
      }
      if (record.kind === 'cloud') {
        // The Cloud API's own rules, checked here so a producer hears at once, not from a failed job.
        const c = content as { text?: unknown; caption?: unknown };
        const problems: { path: string; rule: string }[] = [];
        if (content.mentions !== undefined) {
          problems.push({
            path: 'body.content.mentions',
            rule: 'is not supported by the Cloud API',
          });
        }
        if (typeof body.to === 'string' && /@(?!s\.whatsapp\.net$)/.test(body.to)) {
          problems.push({
            path: 'body.to',
            rule: 'must be a phone number: the Cloud API sends to individual numbers only',
          });
        }
        if (typeof c.text === 'string' && c.text.length > CLOUD_LIMITS.textMaxChars) {
          problems.push({
            path: 'body.content.text',
            rule: `must be at most ${CLOUD_LIMITS.textMaxChars} characters on the Cloud API`,
          });
        }
        if (typeof c.caption === 'string' && c.caption.length > CLOUD_LIMITS.captionMaxChars) {
          problems.push({
            path: 'body.content.caption',
            rule: `must be at most ${CLOUD_LIMITS.captionMaxChars} characters on the Cloud API`,
          });
        }
        if (problems.length > 0) throw validationError(problems);
      }
      const options: SendOptionsInput = {
        ...(body.options as SendOptionsInput | undefined),
        ...(headerKey !== undefined ? { idempotencyKey: headerKey } : {}),
      };
      try {
        const sent = await deps.client.send(id, body.to, body.content as SendContentInput, options);
        return await reply.code(202).send(sent);
      } catch (err) {
        if (err instanceof SendValidationError) {
          throw validationError(
            err.problems.map((p) => ({
              path:
                p.path === 'options.idempotencyKey' && headerKey !== undefined
                  ? 'header.idempotency-key'
                  : `body.${p.path}`,
              rule: p.rule,
            })),
          );
        }
        throw err;
      }
    },
  );

  app.get(
    '/v1/jobs/:id',
    {
      config: { auth: ['send', 'read'] },
      schema: {
        summary: 'Status of a send job (queued, sent, delivered, read or failed with the reason)',
        tags: ['messages'],
        security: KEY_SECURITY,
        params: jobParams,
        response: { 200: statusSchema, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { id } = request.params as z.output<typeof jobParams>;
      const status = await deps.client.getStatus(id);
      if (!status) throw apiErrors.create('JOB_NOT_FOUND', { jobId: id });
      return toStatusView(status);
    },
  );

  app.get(
    '/v1/sessions/:id/messages/:messageId',
    {
      config: { auth: ['send', 'read'] },
      schema: {
        summary: 'Status of a message by its WhatsApp message id',
        tags: ['messages'],
        security: KEY_SECURITY,
        params: messageParams,
        response: { 200: statusSchema, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { id, messageId } = request.params as z.output<typeof messageParams>;
      await deps.control.get(id);
      const status = await deps.client.getStatus({ sessionId: id, messageId });
      if (!status) throw apiErrors.create('MESSAGE_NOT_FOUND', { sessionId: id, messageId });
      return toStatusView(status);
    },
  );
}
