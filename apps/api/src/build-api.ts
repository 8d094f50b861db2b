import type { Socket } from 'node:net';
import fastifySwagger from '@fastify/swagger';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import { Cluster } from 'ioredis';
import { createRedisAuthStateStore, ValueCipher } from '@wafleet/auth-store';
import { CloudSessionStore } from '@wafleet/cloud-api';
import { WafleetClient } from '@wafleet/client';
import { newId, type ApiConfig, type Logger } from '@wafleet/core';
import { createWafleetMetrics, type ReadinessCheck, type Registry } from '@wafleet/metrics';
import { closeRedis, SessionRecords, type Keys, type RedisClient } from '@wafleet/redis';
import { ApiKeyStore } from './auth/api-key-store.js';
import { authenticate } from './auth/authenticate.js';
import { RequestRateLimiter } from './auth/request-rate-limiter.js';
import { ScanTokens } from './auth/scan-token.js';
import { SimDemo } from './demo/sim-demo.js';
import { apiErrors } from './errors.js';
import { EventTail } from './events/event-tail.js';
import { toErrorResponse, type ErrorBody } from './http/error-body.js';
import './http/fastify-types.js';
import { RouteIndex } from './http/route-index.js';
import { SseStreams } from './http/sse-stream.js';
import {
  jsonSerializerCompiler,
  zodSwaggerTransform,
  zodValidatorCompiler,
} from './http/zod-schema.js';
import { registerAdminRoutes } from './routes/admin.routes.js';
import { registerCloudRoutes } from './routes/cloud.routes.js';
import type { ApiDeps } from './routes/api-deps.js';
import { registerEventRoutes } from './routes/events.routes.js';
import { registerMessageRoutes } from './routes/messages.routes.js';
import { registerOpsRoutes } from './routes/ops.routes.js';
import { registerScanRoutes } from './routes/scan.routes.js';
import { registerSessionRoutes } from './routes/sessions.routes.js';
import { SessionControl } from './sessions/session-control.js';
import { SecretBox } from './webhooks/secret-box.js';
import { UrlPolicy } from './webhooks/url-policy.js';
import { WebhookDelivery } from './webhooks/webhook-delivery.js';
import { WebhookDispatcher } from './webhooks/webhook-dispatcher.js';

/** What {@link buildApi} needs: the parts `runApp` builds, or a test's own. */
export interface BuildApiOptions {
  redis: RedisClient;
  keys: Keys;
  config: ApiConfig;
  logger: Logger;
  registry: Registry;
  instanceId?: string;
  /** Opens a connection for blocking reads (closed by the app); default: a duplicate of `redis`. */
  connect?: () => RedisClient;
  /** Run the webhook dispatcher and delivery worker in this process (default true). */
  webhooks?: boolean;
  /** Waits on workers (defaults: pairing code 20 s, logout on delete 8 s). */
  timings?: { pairingTimeoutMs?: number; logoutWaitMs?: number };
}

function duplicateForBlocking(redis: RedisClient): RedisClient {
  return redis instanceof Cluster
    ? redis.duplicate()
    : redis.duplicate({ maxRetriesPerRequest: null });
}

function errorJson(code: string, message: string): string {
  const body: ErrorBody = { error: { code, message, details: {} } };
  return JSON.stringify(body);
}

/**
 * The HTTP API as a Fastify instance, ready to `listen` (or to `inject` in tests). Starts the
 * event tail (and, unless disabled, the webhook dispatcher and delivery worker); `app.close()`
 * ends open streams and stops all of it.
 */
export async function buildApi(o: BuildApiOptions): Promise<FastifyInstance> {
  const { redis, keys, config, logger } = o;
  const instanceId = o.instanceId ?? config.INSTANCE_ID ?? newId('api', 6);
  const opened: RedisClient[] = [];
  const connect = () => {
    const client = o.connect ? o.connect() : duplicateForBlocking(redis);
    opened.push(client);
    return client;
  };
  const metrics = createWafleetMetrics(o.registry);
  const records = new SessionRecords(redis, keys);
  const tail = new EventTail({ reader: redis, blocking: connect(), keys, logger });
  const authStore = createRedisAuthStateStore({ redis, keys, keyring: config.ENCRYPTION_KEYS });
  const control = new SessionControl({
    redis,
    keys,
    records,
    tail,
    authStore,
    logger,
    ...(o.timings?.pairingTimeoutMs !== undefined
      ? { pairingTimeoutMs: o.timings.pairingTimeoutMs }
      : {}),
    ...(o.timings?.logoutWaitMs !== undefined ? { logoutWaitMs: o.timings.logoutWaitMs } : {}),
  });
  const apiKeys = new ApiKeyStore(redis, keys, config.API_ADMIN_KEY);
  const limiter = new RequestRateLimiter(redis, keys, config.API_RATE_LIMIT_PER_MIN);
  const client = new WafleetClient({ redis, prefix: keys.prefix, logger });
  const policy = new UrlPolicy(config.WEBHOOK_ALLOWLIST ?? '');
  const box = new SecretBox(config.ENCRYPTION_KEYS);
  const streams = new SseStreams();
  const demo = config.WA_SIM_CONTROL_URL
    ? new SimDemo(config.WA_SIM_CONTROL_URL, redis, keys)
    : undefined;

  const readiness: ReadinessCheck[] = [
    {
      name: 'redis',
      check: async () => ({ ok: (await redis.ping()) === 'PONG', detail: redis.status }),
    },
    { name: 'event-stream', check: () => ({ ok: tail.running }) },
  ];

  let dispatcher: WebhookDispatcher | undefined;
  let delivery: WebhookDelivery | undefined;
  tail.start();
  if (o.webhooks !== false) {
    dispatcher = new WebhookDispatcher({
      redis,
      blocking: connect(),
      keys,
      records,
      logger,
      consumer: instanceId,
      attempts: config.WEBHOOK_MAX_ATTEMPTS,
      backoffMs: config.WEBHOOK_BACKOFF_MS,
    });
    delivery = new WebhookDelivery({
      connection: connect(),
      redis,
      keys,
      records,
      box,
      policy,
      logger,
      timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      metrics,
    });
    dispatcher.start();
    const running = dispatcher;
    readiness.push({ name: 'webhooks', check: () => ({ ok: running.running }) });
  }

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // One compact line per request from onResponse instead (no query strings: scan tokens).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.API_BODY_LIMIT_BYTES,
    // Never trust a caller's request id (it would end up in our logs verbatim).
    requestIdHeader: false,
    genReqId: () => newId('req', 6),
    return503OnClosing: true,
    requestTimeout: 30_000,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
    frameworkErrors: (error, _request, reply) => {
      const bad = apiErrors.create('BAD_REQUEST', {
        reason: `malformed request: ${error.message}`,
      });
      void (reply as FastifyReply).code(400).send({ error: bad.toJSON() });
    },
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
      if (err.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
      const body =
        status === 431
          ? errorJson('BAD_REQUEST', 'request headers are too large')
          : errorJson('BAD_REQUEST', 'malformed HTTP request (bad header or request line)');
      socket.end(
        `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}\r\n` +
          `content-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
    },
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(jsonSerializerCompiler);
  // JSON only: anything else gets 415 instead of being handed to a route as a string.
  app.removeContentTypeParser('text/plain');

  const routes = new RouteIndex();
  app.addHook('onRoute', (route) => routes.add(route.url, route.method));
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'wafleet API',
        version: '0.1.0',
        description:
          'HTTP control plane of wafleet. Every route but /healthz and the scan page needs an API key (Authorization: Bearer <key> or X-Api-Key). Scopes: admin (everything, API keys), sessions (manage sessions, QR and pairing codes), send (enqueue messages, read their status), read (sessions, jobs, events; no QR strings). Errors: { error: { code, message, details } }.',
      },
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer' },
          apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        },
      },
    },
    transform: zodSwaggerTransform,
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  app.addHook('onRequest', authenticate(apiKeys, limiter));
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? '(no route)';
    const quiet = route === '/healthz' || route === '/metrics' || route === '/readyz';
    request.log[quiet ? 'debug' : 'info'](
      {
        method: request.method,
        route,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
        keyId: request.apiKey?.id,
      },
      'request',
    );
  });

  app.setErrorHandler((err, request, reply) => {
    const { status, body } = toErrorResponse(err, request.log, {
      bodyLimit: config.API_BODY_LIMIT_BYTES,
    });
    return reply.code(status).header('cache-control', 'no-store').send(body);
  });
  app.setNotFoundHandler((request) => {
    const path = request.url.split('?')[0]!.slice(0, 200);
    const allowed = routes.allowed(path);
    if (allowed.length > 0) {
      throw apiErrors.create('METHOD_NOT_ALLOWED', {
        method: request.method,
        path,
        allowed: allowed.join(', '),
      });
    }
    throw apiErrors.create('NOT_FOUND', { method: request.method, path });
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const err = reply.statusCode === 405 ? routes.allowed(request.url.split('?')[0]!) : undefined;
    if (err?.length) reply.header('allow', err.join(', '));
    return payload;
  });

  const deps: ApiDeps = {
    config,
    instanceId,
    logger,
    registry: o.registry,
    redis,
    keys,
    records,
    control,
    tail,
    apiKeys,
    client,
    scanTokens: new ScanTokens(config.SCAN_TOKEN_SECRET, config.API_ADMIN_KEY),
    streams,
    policy,
    box,
    authStore,
    cloud: new CloudSessionStore({ redis, keys, cipher: new ValueCipher(config.ENCRYPTION_KEYS) }),
    readiness,
    demo,
  };
  registerOpsRoutes(app, deps);
  registerAdminRoutes(app, deps);
  registerSessionRoutes(app, deps);
  registerMessageRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerScanRoutes(app, deps);
  registerCloudRoutes(app, deps);

  // Open event streams never go idle: end them first, or close() would wait for them.
  app.addHook('preClose', (done) => {
    streams.closeAll();
    done();
  });
  app.addHook('onClose', async () => {
    await dispatcher?.stop();
    await delivery?.close();
    await tail.stop();
    await client.close();
    await Promise.all(opened.map((c) => closeRedis(c)));
  });
  await app.ready();
  return app;
}
