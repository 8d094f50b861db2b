import { Queue, type ConnectionOptions } from 'bullmq';
import type { Logger } from '@wafleet/core';
import { closeRedis, createKeys, createRedis, type Keys, type RedisClient } from '@wafleet/redis';
import {
  DEFAULT_MESSAGE_STATUS_TTL_MS,
  DEFAULT_SEND_JOB_SETTINGS,
  DEFAULT_SEND_LIMITS,
  parseFailureText,
  lastFailureOf,
  triesOf,
  parseSendJobId,
  parseSendRequest,
  readMessageStatus,
  recordMessageStatus,
  SEND_JOB_NAME,
  sendJobId,
  sendJobOptions,
  sendQueueOptions,
  type MessageStatusRecord,
  type SendContentInput,
  type SendFailureReason,
  type SendJob,
  type SendJobSettings,
  type SendLimits,
  type SendOptionsInput,
  type SendResult,
} from '@wafleet/queue';
import {
  ClientClosedError,
  InvalidJobIdError,
  JobNotFoundError,
  SendFailedError,
  WaitTimeoutError,
} from './errors.js';

/** Options of {@link WafleetClient}. Give `redisUrl` or `redis`. */
export interface WafleetClientOptions {
  /** The client opens (and closes) one connection to this Redis. */
  readonly redisUrl?: string;
  /** Or: an existing connection, shared and not closed by the client. */
  readonly redis?: RedisClient;
  /** Key prefix of the wafleet installation (`REDIS_KEY_PREFIX`); default `wf`. */
  readonly prefix?: string;
  /** Size caps of requests; default `DEFAULT_SEND_LIMITS`. */
  readonly limits?: SendLimits;
  /** Attempts, backoff base and retention of jobs; default `DEFAULT_SEND_JOB_SETTINGS`. */
  readonly jobSettings?: SendJobSettings;
  /** Lifetime of message status records; default 7 days. */
  readonly messageStatusTtlMs?: number;
  /** `CLIENT SETNAME` of the client's own connection. */
  readonly connectionName?: string;
  readonly logger?: Logger;
}

/** What `send` returns: where to look the send up later. */
export interface EnqueuedSend {
  /** `<sessionId>.<messageId>`; the same for every enqueue with the same idempotency key. */
  readonly jobId: string;
  /** The WhatsApp message id the message will carry. */
  readonly messageId: string;
}

/** Where a send job is, in producer terms. */
export type SendJobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed' | 'unknown';

/** The status of one send: job state, result or failure, and the message's receipts. */
export interface SendStatus {
  readonly jobId: string;
  readonly sessionId: string;
  readonly messageId: string;
  /**
   * `waiting` (queued, also while the session is offline), `delayed` (waiting for a retry),
   * `active`, `completed`, `failed` (final), or `unknown` (job removed by retention and the
   * record does not tell).
   */
  readonly state: SendJobState;
  /** Tries so far; undefined once the job was removed by retention. */
  readonly attemptsMade: number | undefined;
  /** Set when the message was sent. */
  readonly result: SendResult | undefined;
  /** For `failed`: why. For `delayed`: why the last try failed. */
  readonly failure: { readonly reason: SendFailureReason; readonly message: string } | undefined;
  /** The message status record (queued/sent/delivered/read/failed with timestamps). */
  readonly message: MessageStatusRecord | undefined;
}

/** A job id, or the session and message id of a send. */
export type SendRef = string | { readonly sessionId: string; readonly messageId: string };

const DEFAULT_WAIT_MS = 30_000;
const FIRST_POLL_MS = 25;
const MAX_POLL_MS = 500;

function mapState(state: string): SendJobState {
  switch (state) {
    case 'waiting':
    case 'prioritized':
    case 'waiting-children':
      return 'waiting';
    case 'delayed':
    case 'active':
    case 'completed':
    case 'failed':
      return state;
    default:
      return 'unknown';
  }
}

function isSendResult(value: unknown): value is SendResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as SendResult).messageId === 'string' &&
    typeof (value as SendResult).sentAt === 'number'
  );
}

/**
 * The producer client: validates a send and puts it straight onto the session's BullMQ queue (no
 * HTTP hop), then reads its status back. One Redis connection for any number of sessions.
 */
export class WafleetClient {
  readonly keys: Keys;
  private readonly options: WafleetClientOptions;
  private readonly redis: RedisClient;
  private readonly ownsRedis: boolean;
  private readonly queues = new Map<string, Queue<SendJob, SendResult>>();
  private closed = false;

  constructor(options: WafleetClientOptions) {
    this.options = options;
    this.keys = createKeys(options.prefix ?? 'wf');
    if (options.redis) {
      this.redis = options.redis;
      this.ownsRedis = false;
    } else if (options.redisUrl) {
      this.redis = createRedis({
        url: options.redisUrl,
        role: 'command',
        ...(options.connectionName ? { connectionName: options.connectionName } : {}),
      });
      this.ownsRedis = true;
    } else {
      throw new Error('WafleetClient needs redisUrl or redis');
    }
  }

  /**
   * Enqueues one message. Throws `SendValidationError` (nothing enqueued) when the request is
   * invalid. The same idempotency key always gives the same job and message id, and one message,
   * also when several producers enqueue it at once; the first payload wins.
   */
  async send(
    sessionId: string,
    to: string,
    content: SendContentInput,
    options?: SendOptionsInput,
  ): Promise<EnqueuedSend> {
    this.assertOpen();
    const job = parseSendRequest(
      { sessionId, to, content, ...(options !== undefined ? { options } : {}) },
      { limits: this.options.limits ?? DEFAULT_SEND_LIMITS },
    );
    const added = await this.queueFor(job.sessionId).add(
      SEND_JOB_NAME,
      job,
      sendJobOptions(job, this.options.jobSettings ?? DEFAULT_SEND_JOB_SETTINGS),
    );
    const jobId = added.id ?? sendJobId(job.sessionId, job.messageId);
    // After the add: a record never claims "queued" for a job that does not exist. Forward-only,
    // so a duplicate enqueue of an already sent message does not rewind it.
    await recordMessageStatus(
      this.redis,
      this.keys,
      job.sessionId,
      job.messageId,
      { status: 'queued', at: job.enqueuedAt, jobId },
      { ttlMs: this.options.messageStatusTtlMs ?? DEFAULT_MESSAGE_STATUS_TTL_MS },
    );
    return { jobId, messageId: job.messageId };
  }

  /** The status of a send by job id or by (session, message id); undefined when unknown. */
  async getStatus(ref: SendRef): Promise<SendStatus | undefined> {
    this.assertOpen();
    const { sessionId, messageId } = this.resolve(ref);
    const jobId = sendJobId(sessionId, messageId);
    // State first, then the job hash: BullMQ moves a job and writes its result in one script, so
    // a job read after "failed" has its failedReason (the other order could pair a finished
    // state with a stale, still-active hash).
    const rawState = await this.queueFor(sessionId).getJobState(jobId);
    const [job, message] = await Promise.all([
      this.queueFor(sessionId).getJob(jobId),
      readMessageStatus(this.redis, this.keys, sessionId, messageId),
    ]);
    if (!job && !message) return undefined;
    const base = { jobId, sessionId, messageId, message };
    if (job) {
      const state = mapState(rawState);
      const failed = job.failedReason ? parseFailureText(job.failedReason) : undefined;
      return {
        ...base,
        state,
        // Sends retried in place count their tries in the job's progress.
        attemptsMade: job.attemptsMade + triesOf(job),
        result:
          state === 'completed' && isSendResult(job.returnvalue) ? job.returnvalue : undefined,
        failure:
          state === 'failed' || state === 'delayed'
            ? failed
            : state !== 'completed' && lastFailureOf(job) !== undefined
              ? parseFailureText(lastFailureOf(job))
              : undefined,
      };
    }
    // The job is gone (retention); the record still knows how it ended.
    const record = message!;
    const sent =
      record.status === 'sent' || record.status === 'delivered' || record.status === 'read';
    return {
      ...base,
      state: sent ? 'completed' : record.status === 'failed' ? 'failed' : 'unknown',
      attemptsMade: undefined,
      result:
        sent && record.sentAt !== undefined ? { messageId, sentAt: record.sentAt } : undefined,
      failure:
        record.status === 'failed'
          ? { reason: record.reason ?? 'unknown', message: record.error ?? '' }
          : undefined,
    };
  }

  /**
   * Resolves with the send result once the job completed; rejects with `SendFailedError` when it
   * failed for good, `WaitTimeoutError` after `timeoutMs` (default 30 s), `JobNotFoundError` when
   * nothing is known about it. Polls (25 ms growing to 500 ms): no extra connection per session.
   */
  async waitUntilSent(
    sessionId: string,
    jobId: string,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<SendResult> {
    const ref = parseSendJobId(jobId);
    if (!ref || ref.sessionId !== sessionId) throw new InvalidJobIdError(jobId, sessionId);
    const deadline = Date.now() + timeoutMs;
    let interval = FIRST_POLL_MS;
    for (;;) {
      const status = await this.getStatus(jobId);
      if (!status) throw new JobNotFoundError(jobId);
      if (status.state === 'completed' && status.result) return status.result;
      if (status.state === 'failed') {
        throw new SendFailedError({
          jobId,
          messageId: status.messageId,
          reason: status.failure?.reason ?? 'unknown',
          error: status.failure?.message ?? '',
          ...(status.attemptsMade !== undefined ? { attemptsMade: status.attemptsMade } : {}),
        });
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new WaitTimeoutError({ jobId, timeoutMs, state: status.state });
      await new Promise((resolve) => setTimeout(resolve, Math.min(interval, left)));
      interval = Math.min(interval * 1.5, MAX_POLL_MS);
    }
  }

  /** Closes the session queues and, if the client opened it, the Redis connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const queues = [...this.queues.values()];
    this.queues.clear();
    await Promise.all(queues.map((queue) => queue.close()));
    if (this.ownsRedis) await closeRedis(this.redis);
  }

  private resolve(ref: SendRef): { sessionId: string; messageId: string } {
    if (typeof ref !== 'string') {
      const jobId = sendJobId(ref.sessionId, ref.messageId);
      if (!parseSendJobId(jobId)) throw new InvalidJobIdError(jobId);
      return ref;
    }
    const parsed = parseSendJobId(ref);
    if (!parsed) throw new InvalidJobIdError(ref);
    return parsed;
  }

  /** One BullMQ Queue per session, all on the client's single connection. */
  private queueFor(sessionId: string): Queue<SendJob, SendResult> {
    let queue = this.queues.get(sessionId);
    if (!queue) {
      const address = sendQueueOptions(this.keys, sessionId);
      queue = new Queue<SendJob, SendResult>(address.name, {
        // ioredis instance from @wafleet/redis; BullMQ types it against its own ioredis copy.
        connection: this.redis as unknown as ConnectionOptions,
        prefix: address.prefix,
      });
      queue.on('error', (err) =>
        this.options.logger?.warn({ err, sessionId }, 'send queue connection error'),
      );
      this.queues.set(sessionId, queue);
    }
    return queue;
  }

  private assertOpen(): void {
    if (this.closed) throw new ClientClosedError();
  }
}
