import type { z } from 'zod';
import {
  createLogger,
  loadConfig,
  newInstanceId,
  ShutdownSequence,
  WafleetError,
  type Env,
  type Logger,
} from '@wafleet/core';
import {
  createMetricsRegistry,
  startOpsServer,
  type ReadinessCheck,
  type Registry,
} from '@wafleet/metrics';
import {
  checkRedis,
  closeRedis,
  createRedis,
  createKeys,
  type Keys,
  type RedisClient,
} from '@wafleet/redis';

/** Config keys every app has (see `baseFields` in @wafleet/core). */
interface BaseConfig {
  NODE_ENV: string;
  LOG_LEVEL: string;
  REDIS_URL: string;
  REDIS_KEY_PREFIX: string;
  INSTANCE_ID?: string | undefined;
  HTTP_HOST: string;
  HTTP_PORT: number;
  SHUTDOWN_TIMEOUT_MS: number;
}

/** What an app's `start` receives: everything built from config, ready to use. */
export interface AppContext<C> {
  config: C;
  role: string;
  instanceId: string;
  logger: Logger;
  registry: Registry;
  keys: Keys;
  /** The command connection (client name = instance id). */
  redis: RedisClient;
  /** Creates another named connection (e.g. a blocking one for BullMQ); closed at shutdown. */
  connect(role: 'command' | 'blocking' | 'subscriber'): RedisClient;
  /** Register a shutdown step; steps run in the order added, before Redis closes. */
  onShutdown(name: string, run: () => Promise<void> | void): void;
  /** Add a readiness check to `/readyz`. */
  addReadiness(check: ReadinessCheck): void;
}

export interface RunAppOptions<S extends z.ZodObject> {
  role: 'api' | 'coordinator' | 'worker';
  schema: S;
  env?: Env;
  /** Builds and starts the app's parts; called once config, logger, Redis and metrics exist. */
  start: (ctx: AppContext<z.output<S>>) => Promise<void> | void;
  /** Set to false when the app serves /healthz, /readyz and /metrics itself (the api). */
  opsServer?: boolean;
}

/** Exit code for configuration errors (sysexits EX_CONFIG), so supervisors do not restart-loop blindly. */
export const EXIT_CONFIG = 78;

/**
 * The composition root every app's `main.ts` calls: reads config once, builds the logger, Redis,
 * metrics and ops server, runs `start`, and registers one idempotent shutdown sequence on
 * SIGTERM/SIGINT (app steps → ops server → Redis).
 */
export async function runApp<S extends z.ZodObject>(
  options: RunAppOptions<S>,
): Promise<AppContext<z.output<S>>> {
  let config: z.output<S> & BaseConfig;
  try {
    config = loadConfig(options.schema, options.env) as z.output<S> & BaseConfig;
  } catch (err) {
    if (err instanceof WafleetError && err.code === 'CONFIG_INVALID') {
      process.stderr.write(
        `wafleet-${options.role}: ${err.message}\nSee the configuration table in README.md.\n`,
      );
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
  const instanceId = config.INSTANCE_ID ?? newInstanceId(options.role);
  const logger = createLogger({ role: options.role, instanceId, level: config.LOG_LEVEL });
  const registry = createMetricsRegistry({ role: options.role, instance_id: instanceId });
  const keys = createKeys(config.REDIS_KEY_PREFIX);
  const shutdown = new ShutdownSequence(logger, config.SHUTDOWN_TIMEOUT_MS);
  const appSteps: { name: string; run: () => Promise<void> | void }[] = [];
  const connections: RedisClient[] = [];
  const readiness: ReadinessCheck[] = [];

  const connect = (role: 'command' | 'blocking' | 'subscriber') => {
    const client = createRedis({ url: config.REDIS_URL, role, connectionName: instanceId });
    client.on('error', (err: Error) =>
      logger.warn({ err: { message: err.message } }, 'redis connection error'),
    );
    connections.push(client);
    return client;
  };
  const redis = connect('command');
  readiness.push({
    name: 'redis',
    check: async () => ({ ok: (await redis.ping()) === 'PONG', detail: redis.status }),
  });
  void checkRedis(redis, logger).catch((err: unknown) =>
    logger.warn({ err }, 'redis startup check failed'),
  );

  const ctx: AppContext<z.output<S>> = {
    config,
    role: options.role,
    instanceId,
    logger,
    registry,
    keys,
    redis,
    connect,
    onShutdown: (name, run) => void appSteps.push({ name, run }),
    addReadiness: (check) => void readiness.push(check),
  };

  let ops: Awaited<ReturnType<typeof startOpsServer>> | undefined;

  shutdown.add('app', async () => {
    for (const step of [...appSteps].reverse()) {
      try {
        await step.run();
      } catch (err) {
        logger.error({ err, step: step.name }, 'shutdown step failed');
      }
    }
  });
  shutdown.add('ops server', () => ops?.close());
  shutdown.add('redis', async () => {
    await Promise.all(connections.map((c) => closeRedis(c)));
  });

  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shutdown.started) {
      // Ctrl-C reaches a whole process group and a supervisor may add its own SIGTERM: a second
      // signal right after the first is the same request. A later one means "now".
      if (Date.now() - firstSignalAt < 3000) {
        logger.info({ signal }, 'already shutting down');
        return;
      }
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    firstSignalAt = Date.now();
    void shutdown.run(signal).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));

  try {
    if (options.opsServer !== false)
      ops = await startOpsServer({
        host: config.HTTP_HOST,
        port: config.HTTP_PORT,
        registry,
        logger,
        role: options.role,
        instanceId,
        readiness,
      });
    await options.start(ctx);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      logger.fatal(
        { host: config.HTTP_HOST, port: config.HTTP_PORT },
        `port ${config.HTTP_PORT} on ${config.HTTP_HOST} is already in use: stop what holds it or ` +
          'choose another HTTP_PORT (with command 1: API_PORT, COORDINATOR_PORT, WORKER_PORT)',
      );
    else logger.fatal({ err }, 'startup failed');
    // Parts started before the failure may reject on their way down; the process exits anyway.
    process.on('unhandledRejection', (reason) =>
      logger.debug({ err: reason }, 'rejected while stopping after a failed start'),
    );
    await shutdown.run('startup failed');
    process.exit(1);
  }
  logger.info({ port: ops?.port }, `${options.role} ready`);
  return ctx;
}
