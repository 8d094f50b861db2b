import { defineErrors, WafleetError } from '@wafleet/core';
import { formatFailureText, type SendFailureReason } from './send-failure-reason.js';

/** Errors raised by @wafleet/queue. */
export const queueErrors = defineErrors({
  SEND_INVALID: {
    status: 400,
    message: 'invalid send request: {summary}',
  },
  SEND_FAILED: {
    status: 502,
    message: '{reason}: {detail}',
    retryable: true,
  },
  CONSUMER_CLOSED: {
    status: 503,
    message: 'send consumer of session {sessionId} is closed',
  },
});

/** One problem found in a send request: the field path (`content.text`) and the rule it broke. */
export interface SendProblem {
  readonly path: string;
  readonly rule: string;
}

/**
 * A send request (or a stored job) that does not match the schema. Lists every problem with its
 * field: `content.text: must be at most 65536 characters; to: must be an E.164 number …`.
 */
export class SendValidationError extends WafleetError<'SEND_INVALID'> {
  readonly problems: readonly SendProblem[];

  constructor(problems: readonly SendProblem[]) {
    const summary = problems.map((p) => (p.path ? `${p.path}: ${p.rule}` : p.rule)).join('; ');
    super('SEND_INVALID', queueErrors.catalogue.SEND_INVALID, { problems, summary });
    this.problems = problems;
  }
}

/** Options of {@link SendError}. */
export interface SendErrorOptions {
  cause?: unknown;
  /** For `rate_limited` / `throughput_limited`: how long the server asked us to wait. */
  retryAfterMs?: number;
}

/**
 * What a transport throws when a send fails for a known reason. The reason decides, in
 * `classifySendError`, whether the job is retried.
 */
export class SendError extends WafleetError<'SEND_FAILED'> {
  readonly reason: SendFailureReason;
  /** The human part of the message, without the reason prefix. */
  readonly detail: string;
  readonly retryAfterMs: number | undefined;

  constructor(reason: SendFailureReason, detail = '', options: SendErrorOptions = {}) {
    super(
      'SEND_FAILED',
      queueErrors.catalogue.SEND_FAILED,
      {
        reason,
        detail,
        ...(options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
      },
      { cause: options.cause, message: formatFailureText(reason, detail) },
    );
    this.reason = reason;
    this.detail = detail;
    this.retryAfterMs = options.retryAfterMs;
  }
}
