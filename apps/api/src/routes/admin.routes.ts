import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SCOPES } from '../auth/api-key-store.js';
import { apiErrors } from '../errors.js';
import { errorResponses, KEY_SECURITY } from '../http/common-schemas.js';
import { readDeadLetters } from '../webhooks/webhook-delivery.js';
import type { ApiDeps } from './api-deps.js';

const scopeSchema = z.enum(SCOPES, { error: `must be one of ${SCOPES.join(', ')}` });

const createKeyBody = z.strictObject({
  name: z
    .string({ error: 'must be a string' })
    .min(1, { error: 'must not be empty' })
    .max(100, { error: 'must be at most 100 characters' })
    .refine((v) => !/\p{Cc}/u.test(v), { error: 'must not contain control characters' }),
  scopes: z
    .array(scopeSchema, { error: 'must be an array of scopes' })
    .min(1, { error: 'must list at least one scope' })
    .max(SCOPES.length, { error: `must list at most ${SCOPES.length} scopes` }),
});

const keyInfo = z.object({
  id: z.string(),
  name: z.string(),
  scopes: z.array(scopeSchema),
  createdAt: z.string(),
  revokedAt: z.string().nullable(),
});

const keyParams = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{16}$/, { error: 'must be an API key id (16 hex characters)' }),
});

const deadLetterQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,4}$/, { error: 'must be a whole number from 1 to 1000' })
    .transform(Number)
    .refine((n) => n >= 1 && n <= 1000, { error: 'must be a whole number from 1 to 1000' })
    .optional(),
});

function view(info: {
  id: string;
  name: string;
  scopes: string[];
  createdAt: number;
  revokedAt?: number;
}) {
  return {
    id: info.id,
    name: info.name,
    scopes: info.scopes,
    createdAt: new Date(info.createdAt).toISOString(),
    revokedAt: info.revokedAt === undefined ? null : new Date(info.revokedAt).toISOString(),
  };
}

/** Admin: API keys (create, list, revoke) and the webhook dead-letter set. */
export function registerAdminRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const admin = { config: { auth: ['admin'] as const }, security: KEY_SECURITY, tags: ['admin'] };

  app.post(
    '/v1/api-keys',
    {
      config: admin.config,
      schema: {
        summary: 'Create an API key; the key is shown in this answer only',
        tags: admin.tags,
        security: admin.security,
        body: createKeyBody,
        response: { 201: keyInfo.extend({ key: z.string() }), ...errorResponses() },
      },
    },
    async (request, reply) => {
      const body = request.body as z.output<typeof createKeyBody>;
      const { info, key } = await deps.apiKeys.create(body);
      request.log.info(
        { createdKeyId: info.id, scopes: info.scopes, keyId: request.apiKey?.id },
        'API key created',
      );
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...view(info), key });
    },
  );

  app.get(
    '/v1/api-keys',
    {
      config: admin.config,
      schema: {
        summary: 'List API keys (never the keys themselves)',
        tags: admin.tags,
        security: admin.security,
        response: { 200: z.object({ keys: z.array(keyInfo) }), ...errorResponses() },
      },
    },
    async () => ({ keys: (await deps.apiKeys.list()).map(view) }),
  );

  app.delete(
    '/v1/api-keys/:id',
    {
      config: admin.config,
      schema: {
        summary: 'Revoke an API key (it answers 401 from now on)',
        tags: admin.tags,
        security: admin.security,
        params: keyParams,
        response: { 200: keyInfo, ...errorResponses(404) },
      },
    },
    async (request) => {
      const { id } = request.params as z.output<typeof keyParams>;
      const info = await deps.apiKeys.revoke(id);
      if (!info) throw apiErrors.create('API_KEY_NOT_FOUND', { keyId: id });
      request.log.info({ revokedKeyId: id, keyId: request.apiKey?.id }, 'API key revoked');
      return view(info);
    },
  );

  app.get(
    '/v1/webhooks/dead-letters',
    {
      config: admin.config,
      schema: {
        summary: 'Webhook deliveries that used every attempt, newest first',
        tags: admin.tags,
        security: admin.security,
        querystring: deadLetterQuery,
        response: {
          200: z.object({
            deadLetters: z.array(
              z.object({
                eventId: z.string(),
                sessionId: z.string(),
                type: z.string(),
                url: z.string(),
                attempts: z.number(),
                error: z.string(),
                failedAt: z.number(),
              }),
            ),
          }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const { limit } = request.query as z.output<typeof deadLetterQuery>;
      return { deadLetters: await readDeadLetters(deps.redis, deps.keys, limit ?? 100) };
    },
  );
}
