import {
  Job as BullJob,
  UnrecoverableError,
  WaitingError,
  Worker,
  type BackoffOptions,
  type ConnectionOptions,
  type Job,
  type MinimalJob,
} from 'bullmq';
import type { Logger } from '@wafleet/core';
import { closeRedis, createRedis, LuaScript, type Keys, type RedisClient } from '@wafleet/redis';
import { classifySendError, type SendErrorClassification } from './classify-send-error.js';
import { SendError, SendValidationError } from './errors.js';
import type { SendLimits } from './media-rules.js';
import { parseSendJobId } from './message-id.js';
import {
  DEFAULT_MIN_LEASE_REMAINING_MS,
  leaseValue,
  recordMessageStatus,
  type RecordMessageStatusResult,
} from './message-status.js';
import { parseSendJob } from './parse-send-request.js';
import { sendQueueOptions } from './queue-catalogue.js';
import { DEFAULT_BACKOFF, fullJitterBackoff } from './send-backoff.js';
import {
  formatFailureText,
  parseFailureText,
  type SendFailureReason,
} from './send-failure-reason.js';
import type { SendJob } from './send-job.schema.js';
import type { SendResult, SendTransport } from './send-transport.js';

/** Per-session send rate: at most `max` sends per `durationMs`, plus an optional random gap. */
export interface SendRateLimit {
  readonly max: number;
  readonly durationMs: number;
  /**
   * A random pause of `min`…`max` ms between two sends (measured from the previous send's
   * start): bulk traffic from unofficial numbers looks less like a bot.
   */
  readonly randomGapMs?: { readonly min: number; readonly max: number };
}

/**
 * Rate presets. `unofficial` (the default): 1 message per second per number, what a person can
 * plausibly type; BullMQ's limiter is a fixed window, so `max` sends may come back to back.
 * `unofficialBulk`: campaigns from a Baileys number, 1 per 3 s window plus a 2-6 s random gap.
 * `cloud`: the Cloud API's default 80 messages per second per number.
 */
export const SEND_RATE_PRESETS = {
  unofficial: { max: 1, durationMs: 1_000 },
  unofficialBulk: { max: 1, durationMs: 3_000, randomGapMs: { min: 2_000, max: 6_000 } },
  cloud: { max: 80, durationMs: 1_000 },
} as const satisfies Record<string, SendRateLimit>;

/** What the consumer reports (for webhooks, metrics, logs). */
export type SendConsumerEvent =
  | {
      readonly type: 'message.sent';
      readonly sessionId: string;
      readonly jobId: string;
      readonly messageId: string;
      readonly sentAt: number;
      /** When the job was enqueued (BullMQ's job timestamp), ms since the epoch. */
      readonly enqueuedAt: number;
      readonly attemptsMade: number;
      /** Cloud API: the Graph message id. */
      readonly providerMessageId?: string;
    }
  | {
      readonly type: 'message.failed';
      readonly sessionId: string;
      readonly jobId: string;
      readonly messageId: string | undefined;
      readonly reason: SendFailureReason;
      readonly error: string;
      readonly attemptsMade: number;
    }
  | {
      readonly type: 'message.retrying';
      readonly sessionId: string;
      readonly jobId: string;
      readonly messageId: string | undefined;
      readonly reason: SendFailureReason;
      readonly error: string;
      readonly attemptsMade: number;
      readonly delayMs: number;
    }
  | {
      readonly type: 'consumer.fenced_out';
      readonly sessionId: string;
      /** Who holds the lease now ('' or undefined: nobody). */
      readonly leaseHolder: string | undefined;
    }
  | { readonly type: 'consumer.error'; readonly sessionId: string; readonly error: Error };

/** Lifecycle of a consumer. */
export type SendConsumerState = 'idle' | 'running' | 'paused' | 'fenced_out' | 'closed';

/** Options of {@link SessionSendConsumer}. */
export interface SessionSendConsumerOptions {
  readonly sessionId: string;
  readonly keys: Keys;
  /**
   * A connection shared by every consumer of this worker process (role `blocking`, i.e.
   * `maxRetriesPerRequest: null`). BullMQ then opens only one more, blocking, connection per
   * session. Not closed by the consumer.
   */
  readonly connection?: RedisClient;
  /** Used when no `connection` is given: the consumer opens (and closes) its own. */
  readonly redisUrl?: string;
  /** The lease this consumer runs under; every completion is fenced against it. */
  readonly lease: { readonly workerId: string; readonly fence: number | bigint | string };
  readonly transport: SendTransport;
  /** Default {@link SEND_RATE_PRESETS}.unofficial. */
  readonly rateLimit?: SendRateLimit;
  /** A send not acknowledged within this is retried (`ack_timeout`) with the same id. Default 20 s. */
  readonly ackTimeoutMs?: number;
  /** Longest retry delay; default 60 s. (The base comes from the job's options.) */
  readonly maxBackoffMs?: number;
  /** A fenced write is refused when the lease expires sooner than this. Default 1 s. */
  readonly minLeaseRemainingMs?: number;
  /** Asked before each send; false = this worker lost the session (same as a fenced-out write). */
  readonly fenceCheck?: () => boolean | Promise<boolean>;
  readonly onEvent?: (event: SendConsumerEvent) => void;
  readonly logger?: Logger;
  readonly limits?: SendLimits;
  readonly messageStatusTtlMs?: number;
  /** BullMQ job lock; renewed at half. A dead owner's in-flight job is retried after it. Default 15 s. */
  readonly lockDurationMs?: number;
  /** How often stalled jobs are looked for. Default 5 s. */
  readonly stalledIntervalMs?: number;
  /** A job stalled more often than this fails (`job stalled more than allowable limit`). Default 3. */
  readonly maxStalledCount?: number;
}

export const DEFAULT_ACK_TIMEOUT_MS = 20_000;
/** Wait after a rate-limit error when the server did not say how long. */
export const DEFAULT_RATE_LIMITED_BACKOFF_MS = 5_000;

const sendSlotScript = new LuaScript(new URL('./take-send-slot-1.lua', import.meta.url), 1);
const finishSlotScript = new LuaScript(new URL('./finish-send-slot-1.lua', import.meta.url), 1);

function errorOf(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** Resolves after `ms`, or when `signal` aborts (then returns false). */
/** The last failure of a send being retried in place (`<reason>: <detail>`), if any. */
export function lastFailureOf(job: { progress?: unknown }): string | undefined {
  const p = job.progress as { lastError?: unknown } | undefined;
  return typeof p === 'object' && p !== null && typeof p.lastError === 'string'
    ? p.lastError
    : undefined;
}

/** Failed send tries of a job so far beyond BullMQ's own attempts (kept in its progress). */
export function triesOf(job: { progress?: unknown }): number {
  const p = job.progress as { tries?: unknown } | undefined;
  return typeof p === 'object' && p !== null && typeof p.tries === 'number' && p.tries > 0
    ? Math.floor(p.tries)
    : 0;
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!signal.aborted);
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Consumes ONE session's send queue on the worker that owns the session: a BullMQ Worker with
 * concurrency 1 (per-number order), paused while the session is not open (jobs wait, no attempt
 * is used), fenced against the session lease when it completes a job.
 *
 * Guarantee of fenced completion: a job is marked sent (status record, in the same Lua script
 * as the lease check) only while this consumer's `<workerId>:<fence>` holds the lease with at
 * least `minLeaseRemainingMs` left; BullMQ's completion follows one round trip later and is
 * itself refused (missing lock) if the job stalled meanwhile and was re-taken. What remains is a
 * process pause longer than `minLeaseRemainingMs` between the two scripts: then the job can be
 * completed by a worker that just lost the lease, after a successful send. Either way the worst
 * case is the same message id sent twice, which WhatsApp deduplicates.
 */
export class SessionSendConsumer {
  readonly sessionId: string;
  private readonly options: SessionSendConsumerOptions;
  private readonly worker: Worker<SendJob, SendResult>;
  private readonly connection: RedisClient;
  private readonly ownConnection: RedisClient | undefined;
  private readonly leaseValue: string;
  private readonly stop = new AbortController();
  private started = false;
  private fencedOut = false;
  private closing: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private lastSendStartedAt = 0;

  constructor(options: SessionSendConsumerOptions) {
    this.options = options;
    this.sessionId = options.sessionId;
    this.leaseValue = leaseValue(options.lease.workerId, options.lease.fence);
    if (options.connection) {
      this.connection = options.connection;
    } else if (options.redisUrl) {
      this.ownConnection = createRedis({
        url: options.redisUrl,
        role: 'blocking',
        connectionName: options.lease.workerId,
      });
      this.connection = this.ownConnection;
    } else {
      throw new Error('SessionSendConsumer needs a connection or a redisUrl');
    }
    const rate = options.rateLimit ?? SEND_RATE_PRESETS.unofficial;
    const address = sendQueueOptions(options.keys, options.sessionId);
    const capMs = options.maxBackoffMs ?? DEFAULT_BACKOFF.capMs;
    this.worker = new Worker<SendJob, SendResult>(
      address.name,
      (job, token) => this.process(job, token),
      {
        // ioredis instance from @wafleet/redis; BullMQ types it against its own ioredis copy.
        connection: this.connection as unknown as ConnectionOptions,
        prefix: address.prefix,
        // Shows up in the blocking connection's client name (`…:w:<workerId>`).
        name: options.lease.workerId,
        autorun: false,
        concurrency: 1,
        limiter: { max: rate.max, duration: rate.durationMs },
        lockDuration: options.lockDurationMs ?? 15_000,
        stalledInterval: options.stalledIntervalMs ?? 5_000,
        maxStalledCount: options.maxStalledCount ?? 3,
        settings: {
          backoffStrategy: (
            attemptsMade: number,
            _type?: string,
            _err?: Error,
            job?: MinimalJob,
          ) => {
            const base = (job?.opts.backoff as BackoffOptions | undefined)?.delay;
            return fullJitterBackoff(attemptsMade, {
              baseMs: base ?? DEFAULT_BACKOFF.baseMs,
              capMs,
            });
          },
        },
      },
    );
    this.worker.on('completed', (job, result) => this.onCompleted(job, result));
    this.worker.on('failed', (job, err) => this.onFailed(job, err));
    this.worker.on('error', (err) => this.reportError(err));
  }

  /** Where the consumer is in its life. */
  get state(): SendConsumerState {
    if (this.closing) return 'closed';
    if (this.fencedOut) return 'fenced_out';
    if (!this.started) return 'idle';
    return this.worker.isPaused() ? 'paused' : 'running';
  }

  /** Starts following the transport: consumes while it is open, waits while it is not. */
  async start(): Promise<void> {
    if (this.unsubscribe || this.closing) return;
    await this.worker.waitUntilReady();
    await this.recoverOrphans();
    this.unsubscribe = this.options.transport.onOpenChange(() => this.reconcile());
    this.reconcile();
  }

  /**
   * Stops consuming (on losing ownership or shutdown). Waits for the in-flight send; a send
   * waiting for its random gap is handed back to the queue instead.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.unsubscribe?.();
      this.stop.abort();
      await this.worker.close();
      if (this.ownConnection) await closeRedis(this.ownConnection);
    })();
    return this.closing;
  }

  /** Runs or pauses the BullMQ worker to match the transport; idempotent. */
  private reconcile(): void {
    if (this.closing) return;
    const wanted = !this.fencedOut && this.options.transport.isOpen();
    if (wanted) {
      if (!this.started) {
        this.started = true;
        this.worker.run().catch((err: unknown) => this.reportError(err));
      } else if (this.worker.isPaused() || !this.worker.isRunning()) {
        this.worker.resume();
      }
    } else if (this.started && !this.worker.isPaused()) {
      // Not waiting for the in-flight job: it notices the closed session itself.
      this.worker.pause(true).catch((err: unknown) => this.reportError(err));
    }
  }

  private async process(
    job: Job<SendJob, SendResult>,
    token: string | undefined,
  ): Promise<SendResult> {
    let data: SendJob;
    try {
      data = parseSendJob(job.data, this.options.limits);
      if (data.sessionId !== this.sessionId) {
        throw new SendValidationError([
          {
            path: 'sessionId',
            rule: `must be ${this.sessionId}, the session whose queue holds the job`,
          },
        ]);
      }
    } catch (err) {
      return this.fail(
        job,
        token,
        parseSendJobId(job.id ?? '')?.messageId,
        'invalid_payload',
        errorOf(err).message,
      );
    }
    const now = Date.now();
    if (data.options.expiresAt !== undefined && data.options.expiresAt <= now) {
      return this.fail(
        job,
        token,
        data.messageId,
        'expired',
        `expired at ${new Date(data.options.expiresAt).toISOString()}`,
      );
    }
    // Transient failures are retried right here, with the job still active at the head of its
    // queue: a BullMQ retry would park it in the delayed set and let later jobs overtake it.
    // Tries are counted in the job's progress, so they survive a crash (a stalled job resumes).
    let attempt = job.attemptsMade + triesOf(job) + 1;
    let result: SendResult;
    for (;;) {
      if (!this.canSend()) return this.handBack(job, token);
      if (this.options.fenceCheck && !(await this.options.fenceCheck())) {
        return this.fenceOut(job, token, undefined);
      }
      const gap = this.options.rateLimit?.randomGapMs;
      if (gap) {
        const wanted = gap.min + Math.random() * Math.max(0, gap.max - gap.min);
        const waited = await sleep(this.lastSendStartedAt + wanted - Date.now(), this.stop.signal);
        if (!waited || !this.canSend()) return this.handBack(job, token);
      }
      const slot = await this.takeSendSlot(job.id ?? data.messageId);
      if (!slot || !this.canSend()) return this.handBack(job, token);
      this.lastSendStartedAt = Date.now();
      try {
        result = await this.sendWithAckTimeout(data, attempt).finally(
          () => void this.finishSendSlot(slot),
        );
        break;
      } catch (err) {
        const { delayMs, failure } = await this.handleSendError(job, token, data, err, attempt);
        // The last failure is kept with the tries, so a status read while it retries says why.
        await job.updateProgress({
          tries: attempt - job.attemptsMade,
          lastError: formatFailureText(failure.reason, failure.message),
        });
        this.emit({
          type: 'message.retrying',
          sessionId: this.sessionId,
          jobId: job.id ?? '',
          messageId: data.messageId,
          reason: failure.reason,
          error: failure.message,
          attemptsMade: attempt,
          delayMs,
        });
        if (!(await sleep(delayMs, this.stop.signal))) return this.handBack(job, token);
        attempt++;
      }
    }
    if (result.messageId !== data.messageId) {
      this.options.logger?.warn(
        {
          sessionId: this.sessionId,
          jobId: job.id,
          expected: data.messageId,
          got: result.messageId,
        },
        'transport sent with a different message id than the derived one',
      );
    }
    const recorded = await this.record(data.messageId, job, {
      status: 'sent',
      at: result.sentAt,
    });
    if (recorded.outcome === 'fenced_out') return this.fenceOut(job, token, recorded.leaseHolder);
    return {
      messageId: result.messageId,
      sentAt: result.sentAt,
      ...(result.providerMessageId ? { providerMessageId: result.providerMessageId } : {}),
    };
  }

  private canSend(): boolean {
    return !this.stop.signal.aborted && !this.fencedOut && this.options.transport.isOpen();
  }

  private async sendWithAckTimeout(data: SendJob, attempt: number): Promise<SendResult> {
    const timeoutMs = this.options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new SendError('ack_timeout', `no server ack within ${timeoutMs} ms`);
        controller.abort(err);
        reject(err);
      }, timeoutMs);
    });
    let sending: Promise<SendResult>;
    try {
      sending = this.options.transport.send(data, { signal: controller.signal, attempt });
    } catch (err) {
      sending = Promise.reject(errorOf(err));
    }
    // A late rejection after the timeout won the race must not become an unhandled rejection.
    sending.catch(() => undefined);
    try {
      return await Promise.race([sending, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async handleSendError(
    job: Job<SendJob, SendResult>,
    token: string | undefined,
    data: SendJob,
    err: unknown,
    attempt: number,
  ): Promise<{ delayMs: number; failure: SendErrorClassification }> {
    const failure = classifySendError(err);
    if (failure.reason === 'fenced_out') return this.fenceOut(job, token, undefined);
    if (failure.kind === 'permanent') {
      return this.fail(job, token, data.messageId, failure.reason, failure.message);
    }
    // The session went down under the send (socket closed, Cloud API token revoked): wait for it
    // like any queued job, without using an attempt, and keep the job at the head so order holds.
    if (
      (failure.reason === 'socket_closed' || failure.reason === 'token_invalid') &&
      !this.options.transport.isOpen()
    ) {
      return this.handBack(job, token);
    }
    // Rate limits concern the whole number: hold the whole queue (BullMQ's limiter key, shared
    // with any next owner), put the job back at the head, and do not count an attempt.
    if (failure.reason === 'rate_limited' || failure.reason === 'throughput_limited') {
      // Worker.rateLimit is deprecated in favour of Queue.rateLimit; same key, no extra Queue.
      await this.worker.rateLimit(failure.retryAfterMs ?? DEFAULT_RATE_LIMITED_BACKOFF_MS);
      throw Worker.RateLimitError();
    }
    const attempts = job.opts.attempts ?? 1;
    if (attempt >= attempts) {
      return this.fail(job, token, data.messageId, failure.reason, failure.message);
    }
    // The retry delay: full jitter on the job's base, the same rule for every session.
    const base = (job.opts.backoff as BackoffOptions | undefined)?.delay;
    const delayMs = fullJitterBackoff(attempt, {
      baseMs: base ?? DEFAULT_BACKOFF.baseMs,
      capMs: this.options.maxBackoffMs ?? DEFAULT_BACKOFF.capMs,
    });
    return { delayMs, failure };
  }

  /** Fails the job for good: status record first (fenced), then BullMQ without retries. */
  private async fail(
    job: Job<SendJob, SendResult>,
    token: string | undefined,
    messageId: string | undefined,
    reason: SendFailureReason,
    detail: string,
  ): Promise<never> {
    if (messageId) {
      const recorded = await this.record(messageId, job, {
        status: 'failed',
        reason,
        error: detail,
      });
      if (recorded.outcome === 'fenced_out') return this.fenceOut(job, token, recorded.leaseHolder);
    }
    throw new UnrecoverableError(formatFailureText(reason, detail));
  }

  /** Puts the job back at the head of the queue (no attempt used) and pauses until open. */
  private async handBack(job: Job<SendJob, SendResult>, token: string | undefined): Promise<never> {
    this.reconcile();
    if (token) await job.moveToWait(token);
    // BullMQ's signal for "the processor moved the job back itself": no failure, no attempt.
    throw new WaitingError();
  }

  /** This worker no longer holds the lease: stop consuming, leave the job to the next owner. */
  private async fenceOut(
    job: Job<SendJob, SendResult>,
    token: string | undefined,
    leaseHolder: string | undefined,
  ): Promise<never> {
    if (!this.fencedOut) {
      this.fencedOut = true;
      this.emit({ type: 'consumer.fenced_out', sessionId: this.sessionId, leaseHolder });
    }
    return this.handBack(job, token);
  }

  /**
   * Waits for a slot of the session's sliding-window rate (shared in Redis by every owner, on
   * Redis time): at most `max` sends start in any `durationMs`, not just per fixed window as
   * BullMQ's limiter counts. A little margin keeps network jitter from letting the receiver see
   * one more. False when the consumer is closing.
   */
  private async takeSendSlot(member: string): Promise<string | undefined> {
    const rate = this.options.rateLimit ?? SEND_RATE_PRESETS.unofficial;
    const unique = `${member}:${Date.now()}:${Math.random().toString(36).slice(2, 8)}`;
    for (;;) {
      const wait = Number(
        await sendSlotScript.run(
          this.connection,
          [this.options.keys.sendRate(this.sessionId)],
          [rate.durationMs, rate.max, unique],
        ),
      );
      if (wait <= 0) return unique;
      if (!(await sleep(wait, this.stop.signal))) return undefined;
    }
  }

  /** The send of `slot` is over: its slot counts from now (see take-send-slot / finish-send-slot). */
  private async finishSendSlot(slot: string): Promise<void> {
    const rate = this.options.rateLimit ?? SEND_RATE_PRESETS.unofficial;
    await finishSlotScript
      .run(this.connection, [this.options.keys.sendRate(this.sessionId)], [rate.durationMs, slot])
      .catch((err: unknown) => this.reportError(err));
  }

  /**
   * Jobs left active by the previous owner (it died mid-send; this worker now holds a newer
   * lease, so that owner can no longer complete them) go back to the head of the queue before
   * anything else is taken, instead of coming back after their lock expires behind newer jobs.
   */
  private async recoverOrphans(): Promise<void> {
    const address = sendQueueOptions(this.options.keys, this.sessionId);
    const activeKey = `${address.prefix}:${address.name}:active`;
    const ids = await this.connection.lrange(activeKey, 0, -1);
    for (const id of ids) {
      const job = await BullJob.fromId<SendJob, SendResult>(this.worker, id);
      if (!job) continue;
      // Token "0" skips BullMQ's lock check: the lock belongs to an owner that lost the lease.
      await job.moveToWait('0');
      this.options.logger?.info(
        { sessionId: this.sessionId, jobId: id },
        'took back a send the previous owner left in flight',
      );
    }
  }

  private record(
    messageId: string,
    job: Job<SendJob, SendResult>,
    update: { status: 'sent' | 'failed'; at?: number; reason?: SendFailureReason; error?: string },
  ): Promise<RecordMessageStatusResult> {
    return recordMessageStatus(
      this.connection,
      this.options.keys,
      this.sessionId,
      messageId,
      { ...update, ...(job.id ? { jobId: job.id } : {}) },
      {
        ...(this.options.messageStatusTtlMs !== undefined
          ? { ttlMs: this.options.messageStatusTtlMs }
          : {}),
        fence: {
          leaseValue: this.leaseValue,
          minRemainingMs: this.options.minLeaseRemainingMs ?? DEFAULT_MIN_LEASE_REMAINING_MS,
        },
      },
    );
  }

  private onCompleted(job: Job<SendJob, SendResult>, result: SendResult): void {
    this.emit({
      type: 'message.sent',
      sessionId: this.sessionId,
      jobId: job.id ?? '',
      messageId: result.messageId,
      sentAt: result.sentAt,
      enqueuedAt: job.timestamp,
      attemptsMade: job.attemptsMade + triesOf(job),
      ...(result.providerMessageId ? { providerMessageId: result.providerMessageId } : {}),
    });
  }

  private onFailed(job: Job<SendJob, SendResult> | undefined, err: Error): void {
    if (!job) return;
    const { reason, message } = parseFailureText(err.message);
    const base = {
      sessionId: this.sessionId,
      jobId: job.id ?? '',
      messageId: parseSendJobId(job.id ?? '')?.messageId,
      reason,
      error: message,
      attemptsMade: job.attemptsMade + triesOf(job),
    };
    // BullMQ sets finishedOn only when the failure is final (no retry scheduled).
    if (job.finishedOn === undefined) {
      this.emit({ type: 'message.retrying', ...base, delayMs: job.delay });
      return;
    }
    this.emit({ type: 'message.failed', ...base });
    // Failures decided by BullMQ itself (a job stalled too often) never passed through the
    // processor; record them too. Idempotent: a record already failed stays as it is.
    if (base.messageId) {
      this.record(base.messageId, job, { status: 'failed', reason, error: message }).catch(
        (err: unknown) => this.reportError(err),
      );
    }
  }

  private emit(event: SendConsumerEvent): void {
    try {
      this.options.onEvent?.(event);
    } catch (err) {
      this.options.logger?.error({ err, sessionId: this.sessionId }, 'send consumer onEvent threw');
    }
  }

  private reportError(value: unknown): void {
    const error = errorOf(value);
    this.options.logger?.warn({ err: error, sessionId: this.sessionId }, 'send queue worker error');
    this.emit({ type: 'consumer.error', sessionId: this.sessionId, error });
  }
}
