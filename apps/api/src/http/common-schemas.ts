import { isValidSessionId, SESSION_ID_RULE } from '@wafleet/core';
import { z } from 'zod';
import { errorBodySchema } from './error-body.js';

/** A session id (path or body). */
export const sessionIdSchema = z
  .string({ error: 'must be a string' })
  .refine(isValidSessionId, { error: `must be ${SESSION_ID_RULE}` })
  .describe(`Session id: ${SESSION_ID_RULE}`);

/** `:id` of the session routes. */
export const sessionParams = z.strictObject({ id: sessionIdSchema });

/** The error responses every authenticated route can give, for the OpenAPI document. */
export function errorResponses(...codes: number[]): Record<number, typeof errorBodySchema> {
  const out: Record<number, typeof errorBodySchema> = {};
  for (const code of [400, 401, 403, 429, ...codes]) out[code] = errorBodySchema;
  return out;
}

/** The API key security requirement of authenticated routes. */
export const KEY_SECURITY: Record<string, string[]>[] = [{ bearerAuth: [] }, { apiKeyHeader: [] }];
