import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Field names that hold secrets anywhere in wafleet. Redaction is configured here once, for every
 * process: tokens, API keys, auth creds, Signal keys, QR strings and pairing codes never reach a log.
 */
export const SECRET_FIELDS = [
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'appSecret',
  'apiKey',
  'api_key',
  'adminKey',
  'password',
  'secret',
  'authorization',
  'cookie',
  'creds',
  'keys',
  'privateKey',
  'private',
  'noiseKey',
  'signedIdentityKey',
  'advSecretKey',
  'qr',
  'pairingCode',
  'REDIS_URL',
  'ENCRYPTION_KEYS',
] as const;

function redactPaths(): string[] {
  const paths: string[] = [];
  for (const field of SECRET_FIELDS) {
    // pino's redaction takes explicit paths; cover the depths where our objects put secrets.
    paths.push(field, `*.${field}`, `*.*.${field}`, `*.*.*.${field}`);
  }
  paths.push('req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie');
  return paths;
}

export interface CreateLoggerOptions {
  /** The process role: `api`, `coordinator`, `worker`, … */
  role: string;
  instanceId?: string;
  level?: string;
  /** Where to write; stdout by default. Tests pass a stream to read the output. */
  destination?: DestinationStream;
}

/** The one root logger of a process: JSON lines, secret paths redacted, role and instance bound. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const config: LoggerOptions = {
    level: options.level ?? 'info',
    base: { role: options.role, ...(options.instanceId ? { instanceId: options.instanceId } : {}) },
    redact: { paths: redactPaths(), censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
