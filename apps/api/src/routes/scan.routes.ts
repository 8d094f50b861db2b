import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { apiErrors } from '../errors.js';
import { errorResponses, sessionIdSchema } from '../http/common-schemas.js';
import { SseStream } from '../http/sse-stream.js';
import {
  newNonce,
  renderScanErrorPage,
  renderScanPage,
  scanPageHeaders,
} from '../scan/scan-page.js';
import type { ApiDeps } from './api-deps.js';
import { streamLogin } from './sessions.routes.js';

const scanParams = z.strictObject({ sessionId: sessionIdSchema });
// The token is checked by the handler (a bad one gets a page, not a validation error).
const scanQuery = z.looseObject({ token: z.string().max(200).optional() });

function sendErrorPage(reply: FastifyReply, status: number, title: string, message: string) {
  const nonce = newNonce();
  return reply
    .code(status)
    .headers(scanPageHeaders(nonce))
    .send(renderScanErrorPage({ title, message, nonce }));
}

/**
 * The scan page: opened with a signed, short-lived token instead of an API key (the link can be
 * handed to whoever holds the phone). It shows the live QR through its own SSE endpoint, which
 * accepts the same token, then "Connected as +…". In demo mode it can ask the simulated phone to
 * scan.
 */
export function registerScanRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const docs = { tags: ['scan page'], params: scanParams, querystring: scanQuery };

  app.get(
    '/scan/:sessionId',
    {
      config: { auth: 'scan-token' },
      schema: {
        summary:
          'HTML page with the live QR code (authorised by ?token= from POST /v1/sessions/:id/scan-token)',
        ...docs,
        response: { 200: z.string().describe('text/html') },
      },
    },
    async (request, reply) => {
      const { sessionId } = request.params as z.output<typeof scanParams>;
      const { token } = request.query as z.output<typeof scanQuery>;
      const check = deps.scanTokens.verify(sessionId, token);
      if (!check.ok) {
        return check.reason === 'expired'
          ? sendErrorPage(
              reply,
              401,
              'This link has expired',
              'Scan links work for a few minutes only. Ask for a new link.',
            )
          : sendErrorPage(
              reply,
              401,
              'This link is not valid',
              'The link is incomplete or was not issued for this session. Ask for a new link.',
            );
      }
      const record = await deps.records.get(sessionId);
      if (!record)
        return sendErrorPage(
          reply,
          404,
          'No such session',
          'This session does not exist (any more).',
        );
      const nonce = newNonce();
      return reply.headers(scanPageHeaders(nonce)).send(
        renderScanPage({
          sessionId,
          sessionName: record.name,
          token: token ?? '',
          expiresAt: check.expiresAt,
          demo: deps.demo !== undefined,
          nonce,
        }),
      );
    },
  );

  app.get(
    '/scan/:sessionId/events',
    {
      config: { auth: 'scan-token' },
      schema: {
        summary: 'SSE of the scan page: qr (image only), status, expired',
        ...docs,
        response: { 200: z.string().describe('text/event-stream'), ...errorResponses(404) },
      },
    },
    async (request, reply) => {
      const { sessionId } = request.params as z.output<typeof scanParams>;
      const { token } = request.query as z.output<typeof scanQuery>;
      const check = deps.scanTokens.verify(sessionId, token);
      if (!check.ok) throw apiErrors.create('SCAN_TOKEN_INVALID', { reason: check.reason });
      const record = await deps.control.get(sessionId);
      const stream = new SseStream(reply, deps.streams);
      await streamLogin(deps, stream, record, { revealQr: false, until: check.expiresAt });
    },
  );

  app.post(
    '/scan/:sessionId/simulate-scan',
    {
      config: { auth: 'scan-token' },
      schema: {
        summary: 'Demo mode only: the simulated phone scans the current QR',
        ...docs,
        response: { 202: z.object({ phone: z.string() }), ...errorResponses(404, 409, 502) },
      },
    },
    async (request, reply) => {
      const { sessionId } = request.params as z.output<typeof scanParams>;
      const { token } = request.query as z.output<typeof scanQuery>;
      const check = deps.scanTokens.verify(sessionId, token);
      if (!check.ok) throw apiErrors.create('SCAN_TOKEN_INVALID', { reason: check.reason });
      if (!deps.demo) throw apiErrors.create('DEMO_DISABLED');
      const record = await deps.control.get(sessionId);
      const latest = record.state === 'qr' ? await deps.control.latestQr(record) : undefined;
      if (!latest) throw apiErrors.create('QR_NOT_AVAILABLE', { sessionId, state: record.state });
      const { phone } = await deps.demo.scan(sessionId, latest.qr);
      request.log.info({ sessionId }, 'demo: the simulated phone scanned the QR');
      return reply.code(202).send({ phone: `+${phone.replace(/^\+/, '')}` });
    },
  );
}
