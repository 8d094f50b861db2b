import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from '@wafleet/core';
import type { WafleetMetrics } from '@wafleet/metrics';
import { sharedQueueOptions, QUEUE_NAMES } from '@wafleet/queue';
import type { Keys, RedisClient, SessionRecords } from '@wafleet/redis';
import { readSettings } from '../sessions/session-settings.js';
import type { SecretBox } from './secret-box.js';
import type { UrlPolicy } from './url-policy.js';
import { signWebhook, WEBHOOK_HEADERS } from './webhook-signature.js';

/** The payload of a webhook delivery job: one event for one session. */
export interface WebhookJob {
  eventId: string;
  sessionId: string;
  type: string;
  at: number;
  data: Record<string, unknown>;
}

/** One entry of the dead-letter set. */
export interface DeadLetter {
  eventId: string;
  sessionId: string;
  type: string;
  url: string;
  attempts: number;
  error: string;
  failedAt: number;
}

/** The JSON body a receiver gets. */
export function webhookBody(job: WebhookJob): string {
  return JSON.stringify({
    id: job.eventId,
    session: job.sessionId,
    type: job.type,
    timestamp: new Date(job.at).toISOString(),
    data: job.data,
  });
}

const MAX_DEAD_LETTERS = 10_000;
const MAX_RESPONSE_BYTES = 64 * 1024;

/** POSTs `body`; resolves with the status code. Redirects are not followed (they could lead anywhere). */
function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; policy: UrlPolicy },
): Promise<number> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        lookup: options.policy.lookup,
        timeout: options.timeoutMs,
      },
      (res: IncomingMessage) => {
        let seen = 0;
        res.on('data', (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > MAX_RESPONSE_BYTES) res.destroy();
        });
        res.on('close', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Options of {@link WebhookDelivery}. */
export interface WebhookDeliveryOptions {
  /** A connection with `maxRetriesPerRequest: null` (BullMQ blocks on it). */
  connection: RedisClient;
  redis: RedisClient;
  keys: Keys;
  records: SessionRecords;
  box: SecretBox;
  policy: UrlPolicy;
  logger: Logger;
  timeoutMs: number;
  concurrency?: number;
  metrics?: Pick<WafleetMetrics, 'webhookDeliveries'>;
  userAgent?: string;
}

/**
 * Delivers webhook jobs: reads the session's current URL and secret (so a changed secret applies
 * to retries, and a removed webhook stops them), checks the URL policy, signs and POSTs. Any
 * answer but 2xx is retried with BullMQ's exponential backoff; the last failed attempt lands in
 * the dead-letter set.
 */
export class WebhookDelivery {
  private readonly worker: Worker<WebhookJob>;

  constructor(private readonly o: WebhookDeliveryOptions) {
    const address = sharedQueueOptions(o.keys, QUEUE_NAMES.webhooks);
    this.worker = new Worker<WebhookJob>(address.name, (job) => this.process(job), {
      // ioredis instance from @wafleet/redis; BullMQ types it against its own ioredis copy.
      connection: o.connection as unknown as ConnectionOptions,
      prefix: address.prefix,
      concurrency: o.concurrency ?? 10,
    });
    this.worker.on('error', (err) => o.logger.warn({ err }, 'webhook worker error'));
  }

  async close(): Promise<void> {
    await this.worker.close();
  }

  private async process(job: Job<WebhookJob>): Promise<{ status: number } | { skipped: string }> {
    const { sessionId, type, eventId } = job.data;
    const record = await this.o.records.get(sessionId);
    const webhook = record ? readSettings(record).webhook : undefined;
    if (!webhook || !webhook.events.includes(type as never)) {
      this.o.metrics?.webhookDeliveries.inc({ outcome: 'skipped' });
      return { skipped: 'the session has no webhook for this event any more' };
    }
    const attempt = job.attemptsMade + 1;
    const attempts = job.opts.attempts ?? 1;
    try {
      const secret = this.o.box.open(webhook.secret);
      if (secret === undefined) {
        throw new UnrecoverableError(
          'the webhook secret cannot be decrypted (ENCRYPTION_KEYS changed?)',
        );
      }
      const verdict = await this.o.policy.check(webhook.url);
      if (!verdict.ok) throw new UnrecoverableError(`webhook URL refused: ${verdict.reason}`);
      const body = webhookBody(job.data);
      const timestamp = Math.floor(Date.now() / 1000);
      const status = await post(
        webhook.url,
        body,
        {
          'content-type': 'application/json',
          'user-agent': this.o.userAgent ?? 'wafleet-webhooks/0.1',
          [WEBHOOK_HEADERS.signature]: signWebhook(secret, timestamp, body),
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.eventId]: eventId,
        },
        { timeoutMs: this.o.timeoutMs, policy: this.o.policy },
      );
      if (status < 200 || status >= 300) throw new Error(`the receiver answered HTTP ${status}`);
      this.o.metrics?.webhookDeliveries.inc({ outcome: 'delivered' });
      return { status };
    } catch (err) {
      const message = (err as Error).message;
      const final = err instanceof UnrecoverableError || attempt >= attempts;
      this.o.metrics?.webhookDeliveries.inc({ outcome: final ? 'dead_lettered' : 'retried' });
      this.o.logger.warn(
        { sessionId, eventId, type, attempt, attempts, error: message },
        final ? 'webhook delivery failed for good' : 'webhook delivery failed; will retry',
      );
      if (final) await this.deadLetter(job.data, webhook.url, attempt, message);
      throw err;
    }
  }

  private async deadLetter(
    job: WebhookJob,
    url: string,
    attempts: number,
    error: string,
  ): Promise<void> {
    const entry: DeadLetter = {
      eventId: job.eventId,
      sessionId: job.sessionId,
      type: job.type,
      url,
      attempts,
      error,
      failedAt: Date.now(),
    };
    const key = this.o.keys.webhookDeadLetters();
    await this.o.redis
      .multi()
      .zadd(key, entry.failedAt, JSON.stringify(entry))
      .zremrangebyrank(key, 0, -(MAX_DEAD_LETTERS + 1))
      .exec();
  }
}

/** Reads the dead-letter set, newest first. */
export async function readDeadLetters(
  redis: RedisClient,
  keys: Keys,
  limit = 100,
): Promise<DeadLetter[]> {
  const raw = await redis.zrevrange(keys.webhookDeadLetters(), 0, limit - 1);
  return raw.flatMap((r) => {
    try {
      return [JSON.parse(r) as DeadLetter];
    } catch {
      return [];
    }
  });
}
