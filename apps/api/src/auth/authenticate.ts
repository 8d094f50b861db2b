import type { FastifyReply, FastifyRequest } from 'fastify';
import { apiErrors } from '../errors.js';
import type { RouteAuth } from '../http/fastify-types.js';
import { hasScope, type ApiKeyStore } from './api-key-store.js';
import type { RequestRateLimiter } from './request-rate-limiter.js';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The raw key of a request: `Authorization: Bearer <key>` or `X-Api-Key: <key>`. */
export function presentedKey(headers: FastifyRequest['headers']): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth !== '') return BEARER.exec(auth)?.[1] ?? '';
  const header = headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header.trim();
  return undefined;
}

/**
 * The `onRequest` hook that guards every route: runs before the body is read, so a caller without
 * a valid key never gets a large body parsed. Unknown routes need a key too (a 404 tells a
 * stranger nothing about which routes exist).
 */
export function authenticate(store: ApiKeyStore, limiter: RequestRateLimiter) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const auth: RouteAuth = request.routeOptions.config.auth ?? [];
    if (auth === 'public' || auth === 'scan-token') return;
    const raw = presentedKey(request.headers);
    if (raw === undefined) throw apiErrors.create('UNAUTHENTICATED', { reason: 'no API key' });
    const key = raw === '' ? undefined : await store.verify(raw);
    if (!key) throw apiErrors.create('UNAUTHENTICATED', { reason: 'unknown or revoked API key' });
    const rate = await limiter.hit(key.id);
    reply.header('x-ratelimit-limit', rate.limit);
    reply.header('x-ratelimit-remaining', rate.remaining);
    reply.header('x-ratelimit-reset', Math.ceil(rate.resetAt / 1000));
    if (!rate.allowed) {
      const retryAfterSeconds = Math.max(1, Math.ceil((rate.resetAt - Date.now()) / 1000));
      reply.header('retry-after', retryAfterSeconds);
      throw apiErrors.create('RATE_LIMITED', { limit: rate.limit, retryAfterSeconds });
    }
    if (!hasScope(key, auth)) {
      throw apiErrors.create('FORBIDDEN', { needed: auth.join(', '), keyId: key.id });
    }
    request.apiKey = key;
  };
}
