import type { FastifyBaseLogger } from 'fastify';
import { newId, WafleetError, type ErrorDetails } from '@wafleet/core';
import { z } from 'zod';
import { apiErrors } from '../errors.js';

/** The one error shape of every API response. */
export interface ErrorBody {
  error: { code: string; message: string; details: ErrorDetails };
}

/** zod schema of {@link ErrorBody}, for the OpenAPI document. */
export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.string().describe('Stable, grep-able error code, e.g. VALIDATION_FAILED'),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
  })
  .describe('Error');

/** A Fastify-internal error (`FST_ERR_*`) or anything else carrying an HTTP status. */
interface StatusError extends Error {
  code?: string;
  statusCode?: number;
  validation?: unknown;
}

const REDIS_DOWN =
  /Connection is closed|ECONNREFUSED|Stream isn't writeable|max retries per request|ETIMEDOUT/i;

/**
 * Maps any thrown value to a status and the error shape. Unexpected errors become 500 with a fresh
 * error id, logged under `err` with that id (the client sees the id, never the stack).
 */
export function toErrorResponse(
  err: unknown,
  log: FastifyBaseLogger,
  context: { bodyLimit: number },
): { status: number; body: ErrorBody } {
  if (err instanceof WafleetError) {
    if (err.status >= 500) log.warn({ err, code: err.code }, 'request failed');
    return { status: err.status, body: { error: err.toJSON() } };
  }
  const e = err as StatusError;
  const known = (() => {
    switch (e?.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return apiErrors.create('BAD_JSON');
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return apiErrors.create('BAD_REQUEST', {
          reason: 'the body is empty although Content-Type says application/json',
        });
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return apiErrors.create('BODY_TOO_LARGE', { limit: context.bodyLimit });
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return apiErrors.create('UNSUPPORTED_MEDIA_TYPE');
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return apiErrors.create('BAD_REQUEST', {
          reason: 'Content-Length does not match the body',
        });
      default:
        return undefined;
    }
  })();
  if (known) return { status: known.status, body: { error: known.toJSON() } };
  // JSON.parse errors of the body parser surface as SyntaxError with a 400 status.
  if (e instanceof SyntaxError && e.statusCode === 400) {
    const bad = apiErrors.create('BAD_JSON');
    return { status: 400, body: { error: bad.toJSON() } };
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const bad = apiErrors.create('BAD_REQUEST', { reason: e.message || 'bad request' });
    return { status: e.statusCode, body: { error: bad.toJSON() } };
  }
  const errorId = newId('err', 9);
  if (
    e instanceof Error &&
    (e.name === 'MaxRetriesPerRequestError' || REDIS_DOWN.test(e.message))
  ) {
    log.error({ err, errorId }, 'request failed: Redis unreachable');
    const down = apiErrors.create('UNAVAILABLE', { what: 'Redis', errorId });
    return { status: 503, body: { error: down.toJSON() } };
  }
  log.error({ err, errorId }, 'request failed with an unexpected error');
  const internal = apiErrors.create('INTERNAL', { errorId });
  return { status: 500, body: { error: internal.toJSON() } };
}
