import type { FastifyInstance, FastifyReply } from 'fastify';
import { readinessReport } from '@wafleet/metrics';
import { z } from 'zod';
import { errorResponses, KEY_SECURITY } from '../http/common-schemas.js';
import type { ApiDeps } from './api-deps.js';

const readinessSchema = z.object({
  ok: z.boolean(),
  checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string().optional() })),
});

/** `/healthz` (public), `/readyz`, `/metrics`, `/docs` and `/docs/json` (any valid key). */
export function registerOpsRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/healthz',
    {
      config: { auth: 'public' },
      schema: {
        summary: 'Liveness: the process is up (no key needed)',
        tags: ['ops'],
        response: { 200: z.object({ ok: z.boolean(), role: z.string(), instanceId: z.string() }) },
      },
    },
    () => ({ ok: true, role: 'api', instanceId: deps.instanceId }),
  );

  app.get(
    '/readyz',
    {
      config: { auth: [] },
      schema: {
        summary: 'Readiness: Redis answers and the event readers run',
        tags: ['ops'],
        security: KEY_SECURITY,
        response: { 200: readinessSchema, 503: readinessSchema, ...errorResponses() },
      },
    },
    async (_request, reply) => {
      const report = await readinessReport(deps.readiness);
      return reply.code(report.ok ? 200 : 503).send(report);
    },
  );

  app.get(
    '/metrics',
    {
      config: { auth: [] },
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        tags: ['ops'],
        security: KEY_SECURITY,
        response: { 200: z.string(), ...errorResponses() },
      },
    },
    async (_request, reply) => {
      const text = await deps.registry.metrics();
      return reply.type(deps.registry.contentType).send(text);
    },
  );

  const docs = (_request: unknown, reply: FastifyReply) =>
    reply.header('cache-control', 'no-store').send(app.swagger());
  const docsOptions = {
    config: { auth: [] },
    schema: {
      summary: 'This OpenAPI 3 document',
      tags: ['ops'],
      security: KEY_SECURITY,
      response: { 200: z.record(z.string(), z.unknown()), ...errorResponses() },
    },
  } as const;
  app.get('/docs', docsOptions, docs);
  app.get('/docs/json', docsOptions, docs);
}
