import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SessionRecord } from '@wafleet/redis';
import { cloudSessionConfigSchema } from '@wafleet/cloud-api';
import { z } from 'zod';
import { hasScope } from '../auth/api-key-store.js';
import { apiErrors } from '../errors.js';
import {
  errorResponses,
  KEY_SECURITY,
  sessionIdSchema,
  sessionParams,
} from '../http/common-schemas.js';
import { SseStream } from '../http/sse-stream.js';
import { qrDataUrl, qrPng } from '../qr/qr-image.js';
import {
  rateLimitSchema,
  readSettings,
  WEBHOOK_EVENT_TYPES,
  webhookInputSchema,
  type StoredSettings,
  type WebhookInput,
} from '../sessions/session-settings.js';
import { phoneOf, sessionViewSchema, toSessionView } from '../sessions/session-view.js';
import type { ApiDeps } from './api-deps.js';

const nameSchema = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .max(100, { error: 'must be at most 100 characters' })
  .refine((v) => !/\p{Cc}/u.test(v), { error: 'must not contain control characters' });

const createBody = z.strictObject({
  id: sessionIdSchema,
  kind: z
    .enum(['baileys', 'cloud'], {
      error:
        'must be "baileys" (multi-device login by QR or pairing code) or "cloud" (official Cloud API)',
    })
    .default('baileys'),
  cloud: cloudSessionConfigSchema
    .optional()
    .describe('kind cloud only: Graph API config (the token and app secret are never shown again)'),
  name: nameSchema.optional(),
  start: z
    .boolean({ error: 'must be true or false' })
    .default(true)
    .describe('Desired state running (default) or stopped'),
  webhook: webhookInputSchema.optional(),
  rateLimit: rateLimitSchema.optional().describe('Send rate of this number; default 1 per second'),
});

const patchBody = z
  .strictObject({
    name: nameSchema.optional(),
    webhook: webhookInputSchema.nullable().optional().describe('null removes the webhook'),
    rateLimit: rateLimitSchema.nullable().optional().describe('null restores the default'),
  })
  .refine((b) => Object.keys(b).length > 0, { error: 'must change at least one field' });

const listQuery = z.strictObject({
  state: z
    .string()
    .regex(/^[a-z_]{1,32}$/, { error: 'must be a state name such as open or qr' })
    .optional(),
});

const createdSchema = sessionViewSchema.extend({
  webhookSecret: z
    .string()
    .optional()
    .describe('Only when the api generated the webhook secret: shown once'),
});

const phoneBody = z.strictObject({
  phone: z.string({ error: 'must be a string' }).regex(/^\+?[1-9]\d{7,14}$/, {
    error: 'must be the phone number in international format, 8-15 digits, e.g. +15551234567',
  }),
});

const qrSchema = z.object({
  qr: z.string().describe('The raw QR string (a credential: treat it like a password)'),
  dataUrl: z.string().describe('data:image/png;base64,…'),
  generatedAt: z.string(),
});

const sessionSecurity = { security: KEY_SECURITY, tags: ['sessions'] };

/** Sessions: CRUD, start/stop/restart, QR (JSON, PNG, SSE), pairing code, scan links. */
export function registerSessionRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const { records, control } = deps;

  async function webhookSettings(
    input: WebhookInput,
  ): Promise<{ stored: NonNullable<StoredSettings['webhook']>; generated?: string }> {
    const verdict = await deps.policy.check(input.url);
    if (!verdict.ok) throw apiErrors.create('WEBHOOK_URL_DENIED', { reason: verdict.reason });
    const generated =
      input.secret === undefined ? randomBytes(32).toString('base64url') : undefined;
    const secret = input.secret ?? generated!;
    return {
      stored: {
        url: input.url,
        secret: deps.box.seal(secret),
        events: input.events ? [...new Set(input.events)] : [...WEBHOOK_EVENT_TYPES],
      },
      ...(generated ? { generated } : {}),
    };
  }

  app.post(
    '/v1/sessions',
    {
      config: { auth: ['sessions'] },
      schema: {
        summary: 'Create a session (it starts at once unless start is false)',
        ...sessionSecurity,
        body: createBody,
        response: { 201: createdSchema, ...errorResponses(409) },
      },
    },
    async (request, reply) => {
      const body = request.body as z.output<typeof createBody>;
      if ((body.kind === 'cloud') !== (body.cloud !== undefined)) {
        throw apiErrors.create('CLOUD_CONFIG_REQUIRED', {});
      }
      const settings: StoredSettings = {};
      let webhookSecret: string | undefined;
      if (body.webhook) {
        const w = await webhookSettings(body.webhook);
        settings.webhook = w.stored;
        webhookSecret = w.generated;
      }
      if (body.rateLimit) settings.rateLimit = body.rateLimit;
      // A deleted session's last owner may still hold its lease for a moment: a record created now
      // would be served by that worker's stale runner, so ask the caller to retry instead.
      if (!(await records.get(body.id)) && (await control.leaseHeld(body.id)))
        throw apiErrors.create('SESSION_STILL_DELETING', { sessionId: body.id });
      // A cloud session is created stopped and started once its config is stored, so no worker
      // takes it before it can send.
      const created = await records.create({
        id: body.id,
        kind: body.kind,
        ...(body.name !== undefined ? { name: body.name } : {}),
        desired: body.start && !body.cloud ? 'running' : 'stopped',
        settings: settings as Record<string, unknown>,
      });
      if (!created) throw apiErrors.create('SESSION_EXISTS', { sessionId: body.id });
      if (body.cloud) {
        await deps.cloud.save(body.id, body.cloud);
        if (body.start) await records.setDesired(body.id, 'running');
      }
      const record = await control.get(body.id);
      request.log.info({ sessionId: body.id, keyId: request.apiKey?.id }, 'session created');
      return reply
        .code(201)
        .header('location', `/v1/sessions/${body.id}`)
        .send({
          ...toSessionView(record),
          ...(body.cloud ? { cloud: await deps.cloud.view(body.id) } : {}),
          ...(webhookSecret ? { webhookSecret } : {}),
        });
    },
  );

  app.get(
    '/v1/sessions',
    {
      config: { auth: ['read', 'sessions'] },
      schema: {
        summary: 'List sessions with state, owner worker, since and last disconnect reason',
        ...sessionSecurity,
        querystring: listQuery,
        response: { 200: z.object({ sessions: z.array(sessionViewSchema) }), ...errorResponses() },
      },
    },
    async (request) => {
      const query = request.query as z.output<typeof listQuery>;
      const all = await records.list();
      const sessions = all
        .filter((r) => !query.state || r.state === query.state)
        .map(toSessionView);
      return { sessions };
    },
  );

  app.get(
    '/v1/sessions/:id',
    {
      config: { auth: ['read', 'sessions'] },
      schema: {
        summary: 'Get one session',
        ...sessionSecurity,
        params: sessionParams,
        response: { 200: sessionViewSchema, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { id } = request.params as z.output<typeof sessionParams>;
      const record = await control.get(id);
      return {
        ...toSessionView(record),
        ...(record.kind === 'cloud' ? { cloud: await deps.cloud.view(id) } : {}),
      };
    },
  );

  app.patch(
    '/v1/sessions/:id',
    {
      config: { auth: ['sessions'] },
      schema: {
        summary: 'Change the name, webhook or send rate of a session',
        ...sessionSecurity,
        params: sessionParams,
        body: patchBody,
        response: { 200: createdSchema, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { id } = request.params as z.output<typeof sessionParams>;
      const body = request.body as z.output<typeof patchBody>;
      const record = await control.get(id);
      const settings = readSettings(record);
      let webhookSecret: string | undefined;
      if (body.webhook === null) delete settings.webhook;
      else if (body.webhook) {
        const w = await webhookSettings(body.webhook);
        settings.webhook = w.stored;
        webhookSecret = w.generated;
      }
      if (body.rateLimit === null) delete settings.rateLimit;
      else if (body.rateLimit) settings.rateLimit = body.rateLimit;
      if (body.name !== undefined) await deps.redis.hset(deps.keys.session(id), 'name', body.name);
      await records.setSettings(id, settings as Record<string, unknown>);
      if (body.rateLimit !== undefined) await control.settingsChanged(id);
      return {
        ...toSessionView(await control.get(id)),
        ...(webhookSecret ? { webhookSecret } : {}),
      };
    },
  );

  app.delete(
    '/v1/sessions/:id',
    {
      config: { auth: ['sessions'] },
      schema: {
        summary: 'Delete a session: log the device out, wipe its auth state, drop its queue',
        ...sessionSecurity,
        params: sessionParams,
        response: {
          200: z.object({ id: z.string(), deleted: z.literal(true), loggedOut: z.boolean() }),
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const { id } = request.params as z.output<typeof sessionParams>;
      const { loggedOut } = await control.delete(id);
      return { id, deleted: true as const, loggedOut };
    },
  );

  for (const action of ['start', 'stop'] as const) {
    app.post(
      `/v1/sessions/:id/${action}`,
      {
        config: { auth: ['sessions'] },
        schema: {
          summary:
            action === 'start'
              ? 'Set the desired state to running (the coordinator assigns it to a worker)'
              : 'Set the desired state to stopped (the owner closes the socket; auth state stays)',
          ...sessionSecurity,
          params: sessionParams,
          response: { 200: sessionViewSchema, ...errorResponses(404) },
        },
      },
      async (request) => {
        const { id } = request.params as z.output<typeof sessionParams>;
        await control.get(id);
        await records.setDesired(id, action === 'start' ? 'running' : 'stopped');
        return toSessionView(await control.get(id));
      },
    );
  }

  app.post(
    '/v1/sessions/:id/restart',
    {
      config: { auth: ['sessions'] },
      schema: {
        summary: 'Restart the socket (concurrent restarts coalesce into one)',
        ...sessionSecurity,
        params: sessionParams,
        response: {
          202: z.object({
            id: z.string(),
            restarting: z.literal(true),
            coalesced: z.boolean(),
            worker: z.string(),
          }),
          ...errorResponses(404, 409, 503),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.output<typeof sessionParams>;
      const result = await control.restart(id);
      return reply.code(202).send({ id, restarting: true as const, ...result });
    },
  );

  app.get(
    '/v1/sessions/:id/qr',
    {
      config: { auth: ['sessions'] },
      schema: {
        summary: 'The current QR code: JSON with a data URL, or a PNG with Accept: image/png',
        description:
          'Only while the session state is qr. The QR is a credential: only keys with the sessions scope see it.',
        ...sessionSecurity,
        params: sessionParams,
        response: { 200: qrSchema, ...errorResponses(404, 409) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.output<typeof sessionParams>;
      const record = await control.get(id);
      const latest = record.state === 'qr' ? await control.latestQr(record) : undefined;
      if (!latest)
        throw apiErrors.create('QR_NOT_AVAILABLE', { sessionId: id, state: record.state });
      reply.header('cache-control', 'no-store');
      if (prefersPng(request)) return reply.type('image/png').send(await qrPng(latest.qr));
      return {
        qr: latest.qr,
        dataUrl: await qrDataUrl(latest.qr),
        generatedAt: new Date(latest.at).toISOString(),
      };
    },
  );

  app.get(
    '/v1/sessions/:id/qr/stream',
    {
      config: { auth: ['sessions'] },
      schema: {
        summary:
          'Server-Sent Events: each new QR (event qr), then status changes (event status), until open',
        ...sessionSecurity,
        params: sessionParams,
        response: { 200: z.string().describe('text/event-stream'), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.output<typeof sessionParams>;
      const record = await control.get(id);
      const stream = new SseStream(reply, deps.streams);
      await streamLogin(deps, stream, record, { revealQr: true });
    },
  );

  app.post(
    '/v1/sessions/:id/pairing-code',
    {
      config: { auth: ['sessions'] },
      schema: {
        summary:
          'Log in with a pairing code instead of a QR; answers once WhatsApp accepted the request',
        ...sessionSecurity,
        params: sessionParams,
        body: phoneBody,
        response: {
          200: z.object({
            code: z
              .string()
              .describe('Enter it on the phone: Linked devices → Link with phone number'),
          }),
          ...errorResponses(404, 409, 422, 503, 504),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params as z.output<typeof sessionParams>;
      const { phone } = request.body as z.output<typeof phoneBody>;
      const result = await control.requestPairingCode(id, phone.replace(/^\+/, ''));
      return reply.header('cache-control', 'no-store').send(result);
    },
  );

  app.post(
    '/v1/sessions/:id/scan-token',
    {
      config: { auth: ['sessions'] },
      schema: {
        summary:
          'A short-lived link to the scan page of this session (no API key needed to open it)',
        ...sessionSecurity,
        params: sessionParams,
        response: {
          200: z.object({ token: z.string(), url: z.string(), expiresAt: z.string() }),
          ...errorResponses(404),
        },
      },
    },
    async (request) => {
      const { id } = request.params as z.output<typeof sessionParams>;
      const record = await control.get(id);
      if (record.kind === 'cloud') {
        throw apiErrors.create('SESSION_KIND_MISMATCH_LINKED', { sessionId: id });
      }
      const { token, expiresAt } = deps.scanTokens.issue(id, deps.config.SCAN_TOKEN_TTL_SECONDS);
      const base =
        deps.config.PUBLIC_BASE_URL?.replace(/\/+$/, '') ?? `${request.protocol}://${request.host}`;
      return {
        token,
        url: `${base}/scan/${id}?token=${encodeURIComponent(token)}`,
        expiresAt: new Date(expiresAt).toISOString(),
      };
    },
  );
}

function prefersPng(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return /\bimage\/png\b/i.test(accept) && !/\bapplication\/json\b/i.test(accept);
}

/**
 * Feeds a login SSE stream: the current status (and QR, while in state qr), then every new QR and
 * status change of the session, until it is open (or `until`, the scan link's expiry, passes).
 * `revealQr: false` sends only the rendered image, not the raw string.
 */
export async function streamLogin(
  deps: ApiDeps,
  stream: SseStream,
  record: SessionRecord,
  options: { revealQr: boolean; until?: number },
): Promise<void> {
  const sessionId = record.id;
  let chain: Promise<void> = Promise.resolve();
  let lastQr: string | undefined;
  const enqueue = (step: () => Promise<void> | void) => {
    chain = chain
      .then(step)
      .catch((err: unknown) => deps.logger.warn({ err, sessionId }, 'login stream step failed'));
  };
  const sendQr = async (qr: string, at: number) => {
    if (stream.closed || qr === lastQr) return;
    lastQr = qr;
    const dataUrl = await qrDataUrl(qr);
    stream.send('qr', {
      ...(options.revealQr ? { qr } : {}),
      dataUrl,
      generatedAt: new Date(at).toISOString(),
    });
  };
  const sendStatus = (state: string, data: { me?: unknown; code?: unknown; reason?: unknown }) => {
    if (stream.closed) return;
    const me = typeof data.me === 'string' ? data.me : undefined;
    stream.send('status', {
      state,
      phone: phoneOf(me),
      code: typeof data.code === 'number' ? data.code : null,
      reason: typeof data.reason === 'string' ? data.reason : null,
    });
    if (state === 'open') stream.close();
  };
  const cursor = await deps.tail.streamEnd();
  enqueue(async () => {
    sendStatus(record.state, { me: record.me, code: record.lastCode, reason: record.lastReason });
    if (record.state === 'qr') {
      const latest = await deps.control.latestQr(record);
      if (latest) await sendQr(latest.qr, latest.at);
    }
  });
  const follower = deps.tail.follow({
    cursor,
    onEvent: (entry) => {
      if (entry.sessionId !== sessionId) return;
      if (entry.type === 'session.qr' && typeof entry.data.qr === 'string') {
        const qr = entry.data.qr;
        enqueue(() => sendQr(qr, entry.at));
      } else if (entry.type === 'session.status' && typeof entry.data.state === 'string') {
        const state = entry.data.state;
        if (state !== 'qr') lastQr = undefined;
        enqueue(() => sendStatus(state, entry.data));
      }
    },
    onError: (err) => deps.logger.warn({ err, sessionId }, 'login stream read failed'),
  });
  stream.onClose(() => follower.close());
  if (options.until !== undefined) {
    const timer = setTimeout(
      () => {
        enqueue(() => {
          stream.send('expired', {});
          stream.close();
        });
      },
      Math.max(0, options.until - Date.now()),
    );
    timer.unref();
    stream.onClose(() => clearTimeout(timer));
  }
}

/** True when the caller may see raw QR strings (the sessions scope). */
export function mayRevealQr(request: FastifyRequest): boolean {
  return request.apiKey !== undefined && hasScope(request.apiKey, ['sessions']);
}
