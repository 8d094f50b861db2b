import type { FastifyInstance } from 'fastify';
import {
  answerVerification,
  cloudSessionConfigSchema,
  parseWebhook,
  verifyWebhookSignature,
  type CloudInboundMessage,
  type CloudSessionConfig,
  type CloudStatusUpdate,
} from '@wafleet/cloud-api';
import { publishSessionEvent } from '@wafleet/redis';
import { classifySendError, recordMessageStatus } from '@wafleet/queue';
import { z } from 'zod';
import { apiErrors } from '../errors.js';
import { errorResponses, KEY_SECURITY, sessionParams } from '../http/common-schemas.js';
import { sessionViewSchema, toSessionView } from '../sessions/session-view.js';
import type { ApiDeps } from './api-deps.js';

/** What PATCH …/cloud may change: any config field; a new accessToken resets the token checks. */
const cloudPatchBody = z
  .strictObject(
    // Without the create-time defaults: a field left out keeps its stored value.
    Object.fromEntries(
      Object.entries(cloudSessionConfigSchema.shape).map(([name, field]) => [
        name,
        (field instanceof z.ZodDefault ? field.unwrap() : field).optional(),
      ]),
    ),
  )
  .refine((b) => Object.keys(b).length > 0, { error: 'must change at least one field' });

/** Graph retries a webhook for days; a processed id is remembered this long. */
const SEEN_TTL_SECONDS = 7 * 24 * 3600;

const STATUS_EVENT: Record<CloudStatusUpdate['status'], string> = {
  sent: 'server_ack',
  delivered: 'delivered',
  read: 'read',
  failed: 'error',
};

/**
 * Cloud API sessions: changing their Graph config (a new token resumes a `token_invalid` session)
 * and Meta's webhook receiver. The receiver needs no API key (Meta cannot send one): a GET is
 * answered only with the session's verify token, and a POST is processed only when its
 * `X-Hub-Signature-256` matches the HMAC of the raw body under the session's app secret.
 */
export function registerCloudRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { control, cloud } = deps;

  async function cloudSession(id: string) {
    const record = await control.get(id);
    if (record.kind !== 'cloud') {
      throw apiErrors.create('SESSION_KIND_MISMATCH', { sessionId: id, kind: record.kind });
    }
    return record;
  }

  app.patch(
    '/v1/sessions/:id/cloud',
    {
      config: { auth: ['sessions'] },
      schema: {
        summary: 'Change the Cloud API config of a cloud session (e.g. replace the access token)',
        security: KEY_SECURITY,
        tags: ['sessions'],
        params: sessionParams,
        body: cloudPatchBody,
        response: { 200: sessionViewSchema, ...errorResponses(404, 409) },
      },
    },
    async (request) => {
      const { id } = request.params as z.output<typeof sessionParams>;
      const body = request.body as Partial<CloudSessionConfig>;
      await cloudSession(id);
      const current = await cloud.load(id);
      if (!current) throw apiErrors.create('SESSION_NOT_FOUND', { sessionId: id });
      const checked = cloudSessionConfigSchema.safeParse({ ...current, ...body });
      if (!checked.success) {
        throw apiErrors.create('VALIDATION_FAILED', {
          summary: checked.error.issues
            .map((i) => `${['cloud', ...i.path].join('.')}: ${i.message}`)
            .join('; '),
        });
      }
      // Fields left out keep their values, and the same token keeps its check results.
      await cloud.patch(id, body);
      await control.settingsChanged(id);
      request.log.info({ sessionId: id, fields: Object.keys(body) }, 'cloud config changed');
      return { ...toSessionView(await control.get(id)), cloud: await cloud.view(id) };
    },
  );

  // Meta signs the exact bytes it sent: keep them for this route (JSON is parsed after the check).
  app.register((scope, _opts, done) => {
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, next) =>
      next(null, body),
    );

    scope.get(
      '/v1/cloud/:id/webhook',
      {
        config: { auth: 'public' },
        schema: {
          summary: "Meta's webhook verification (hub.mode, hub.verify_token, hub.challenge)",
          tags: ['cloud'],
          params: sessionParams,
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const config = await loadForWebhook(id);
        const verifyToken = config?.webhookVerifyToken;
        const answer = verifyToken
          ? answerVerification(request.query as Record<string, unknown>, verifyToken)
          : { ok: false as const };
        if (!answer.ok) throw apiErrors.create('WEBHOOK_VERIFICATION_FAILED', {});
        return reply.code(200).type('text/plain').send(answer.challenge);
      },
    );

    scope.post(
      '/v1/cloud/:id/webhook',
      {
        config: { auth: 'public' },
        schema: {
          summary: 'Cloud API webhook deliveries, signed with X-Hub-Signature-256 (no API key)',
          tags: ['cloud'],
          params: sessionParams,
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const config = await loadForWebhook(id);
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const signature = request.headers['x-hub-signature-256'];
        if (
          !config?.appSecret ||
          !verifyWebhookSignature(
            raw,
            typeof signature === 'string' ? signature : undefined,
            config.appSecret,
          )
        ) {
          request.log.warn(
            { sessionId: id },
            'Cloud API webhook refused: bad or missing signature',
          );
          throw apiErrors.create('WEBHOOK_SIGNATURE_INVALID', {});
        }
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw apiErrors.create('BAD_JSON', {});
        }
        const parsed = parseWebhook(body);
        const mine = (p: { phoneNumberId: string }) => p.phoneNumberId === config.phoneNumberId;
        let accepted = 0;
        for (const m of parsed.messages.filter(mine)) accepted += (await inbound(id, m)) ? 1 : 0;
        for (const s of parsed.statuses.filter(mine)) accepted += (await status(id, s)) ? 1 : 0;
        request.log.info(
          {
            sessionId: id,
            messages: parsed.messages.length,
            statuses: parsed.statuses.length,
            accepted,
          },
          'Cloud API webhook',
        );
        return reply.code(200).send({ ok: true });
      },
    );
    done();
  });

  /** The config of a cloud session, or undefined (unknown ids look like a wrong signature). */
  async function loadForWebhook(id: string) {
    const record = await deps.records.get(id);
    if (record?.kind !== 'cloud') return undefined;
    return cloud.load(id);
  }

  /** Runs `handle` once per id; when it fails, the id is forgotten so Meta's retry gets through. */
  async function once(sessionId: string, eventId: string, handle: () => Promise<void>) {
    if (!(await cloud.firstSeen(sessionId, eventId, SEEN_TTL_SECONDS))) return false;
    try {
      await handle();
    } catch (err) {
      await cloud.forgetSeen(sessionId, eventId).catch(() => undefined);
      throw err;
    }
    return true;
  }

  async function inbound(sessionId: string, m: CloudInboundMessage): Promise<boolean> {
    return once(sessionId, `m:${m.id}`, () => publishInbound(sessionId, m));
  }

  async function publishInbound(sessionId: string, m: CloudInboundMessage): Promise<void> {
    await publishSessionEvent(deps.redis, deps.keys, {
      sessionId,
      type: 'message.received',
      data: {
        id: m.id,
        from: `${m.from}@s.whatsapp.net`,
        fromMe: false,
        upsertType: 'notify',
        timestamp: Math.floor(m.timestamp / 1000),
        message: m.text !== undefined ? { conversation: m.text } : { cloud: m.raw },
        ...(m.contextId ? { replyTo: m.contextId } : {}),
        kind: 'cloud',
      },
    });
  }

  async function status(sessionId: string, s: CloudStatusUpdate): Promise<boolean> {
    return once(sessionId, `st:${s.id}:${s.status}`, () => publishStatus(sessionId, s));
  }

  async function publishStatus(sessionId: string, s: CloudStatusUpdate): Promise<void> {
    const messageId = (await cloud.messageIdFor(sessionId, s.id)) ?? s.id;
    const error = s.errors?.[0];
    if (s.status === 'failed' && messageId !== s.id) {
      const failure = classifySendError({
        name: 'GraphApiError',
        httpStatus: 400,
        ...(error ? { graphCode: error.code } : {}),
        message: error ? `Graph error ${error.code}: ${error.title}` : 'Graph reported a failure',
      });
      await recordMessageStatus(deps.redis, deps.keys, sessionId, messageId, {
        status: 'failed',
        reason: failure.reason,
        error: failure.message,
        at: s.timestamp,
      });
    }
    await publishSessionEvent(deps.redis, deps.keys, {
      sessionId,
      type: 'message.status',
      at: s.timestamp,
      data: {
        messageId,
        providerMessageId: s.id,
        to: `${s.recipientId}@s.whatsapp.net`,
        status: STATUS_EVENT[s.status],
        ...(error ? { error: `Graph error ${error.code}: ${error.title}` } : {}),
      },
    });
  }
}
