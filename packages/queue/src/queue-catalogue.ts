import type { JobsOptions } from 'bullmq';
import type { Keys } from '@wafleet/redis';
import { DEFAULT_BACKOFF } from './send-backoff.js';
import { PRIORITY_RANGE, type SendJob } from './send-job.schema.js';
import { sendJobId } from './message-id.js';

/**
 * Every BullMQ queue name wafleet uses. The send queue exists once per session (its prefix
 * carries the session's hash tag); the others are shared by the cluster.
 */
export const QUEUE_NAMES = {
  send: 'send',
  webhooks: 'webhooks',
  alerts: 'alerts',
} as const;

/** Every BullMQ job name, one per queue. */
export const JOB_NAMES = {
  send: 'send',
  webhookDelivery: 'webhook.deliver',
  alert: 'alert.notify',
} as const;

/** Name of a session's send queue (the same in every session; the prefix tells them apart). */
export const sendQueueName = QUEUE_NAMES.send;

/** Job name of a send job. */
export const SEND_JOB_NAME = JOB_NAMES.send;

/** Where a BullMQ queue lives: pass both to `new Queue(name, { prefix })` / `new Worker(…)`. */
export interface QueueAddress {
  readonly name: string;
  readonly prefix: string;
}

/**
 * The send queue of one session: prefix `<prefix>:{s:<id>}`, name `send`, so every key of the
 * queue shares the session's Redis Cluster slot (and a Lua script may touch the session's lease
 * and message records next to it).
 */
export function sendQueueOptions(keys: Keys, sessionId: string): QueueAddress {
  return { name: sendQueueName, prefix: keys.queuePrefix(sessionId) };
}

/** A queue shared by the cluster (`webhooks`, `alerts`), under `keys.sharedQueuePrefix()`. */
export function sharedQueueOptions(
  keys: Keys,
  name: typeof QUEUE_NAMES.webhooks | typeof QUEUE_NAMES.alerts,
): QueueAddress {
  return { name, prefix: keys.sharedQueuePrefix() };
}

/** Backoff type name of the send queue; the consumer registers the strategy under it. */
export const SEND_BACKOFF_TYPE = 'wafleet-full-jitter';

/** How send jobs are retried and kept. */
export interface SendJobSettings {
  /** Tries in total (first send included) before a transient failure becomes final. */
  readonly attempts: number;
  /** Upper bound of the first retry's delay; doubles per retry (cap set by the consumer). */
  readonly backoffBaseMs: number;
  /** Completed jobs kept per session: at most `count`, none older than `ageSeconds`. */
  readonly keepCompleted: { readonly ageSeconds: number; readonly count: number };
  /** Failed jobs kept per session (longer: they are what someone investigates). */
  readonly keepFailed: { readonly ageSeconds: number; readonly count: number };
  /**
   * How long an idempotency key stays claimed after enqueue, also once the job itself was
   * removed by retention. Matches the message status record's lifetime.
   */
  readonly idempotencyWindowMs: number;
}

const DAY_SECONDS = 24 * 60 * 60;

/**
 * Defaults: 8 attempts (about 2 minutes of backoff at most); completed jobs kept 24 h / 1,000 per
 * session, failed jobs 7 days / 5,000; idempotency keys claimed for 7 days.
 */
export const DEFAULT_SEND_JOB_SETTINGS: SendJobSettings = {
  attempts: 8,
  backoffBaseMs: DEFAULT_BACKOFF.baseMs,
  keepCompleted: { ageSeconds: DAY_SECONDS, count: 1_000 },
  keepFailed: { ageSeconds: 7 * DAY_SECONDS, count: 5_000 },
  idempotencyWindowMs: 7 * DAY_SECONDS * 1000,
};

/**
 * BullMQ options of a send job. The job id is derived from the idempotency key, and the same id
 * is a deduplication id with a TTL: BullMQ's add script then returns the existing job both while
 * the job exists and, for `idempotencyWindowMs`, after retention removed it, atomically, so
 * concurrent producers create exactly one job.
 *
 * Every job gets a priority (default 50): BullMQ takes un-prioritised jobs before all
 * prioritised ones, so a mix would let "no priority" overtake "urgent".
 */
export function sendJobOptions(
  job: SendJob,
  settings: SendJobSettings = DEFAULT_SEND_JOB_SETTINGS,
): JobsOptions {
  return {
    jobId: sendJobId(job.sessionId, job.messageId),
    deduplication: { id: job.messageId, ttl: settings.idempotencyWindowMs },
    priority: job.options.priority ?? PRIORITY_RANGE.default,
    attempts: settings.attempts,
    backoff: { type: SEND_BACKOFF_TYPE, delay: settings.backoffBaseMs },
    removeOnComplete: {
      age: settings.keepCompleted.ageSeconds,
      count: settings.keepCompleted.count,
    },
    removeOnFail: { age: settings.keepFailed.ageSeconds, count: settings.keepFailed.count },
  };
}
