import { defineErrors, WafleetError } from '@wafleet/core';
import type { SendFailureReason } from '@wafleet/queue';

/** Errors raised by @wafleet/client. */
export const clientErrors = defineErrors({
  MESSAGE_FAILED: {
    status: 502,
    message: 'send {jobId} failed: {reason}{detail}',
  },
  WAIT_TIMEOUT: {
    status: 504,
    message: 'send {jobId} was not sent within {timeoutMs} ms (state: {state})',
    retryable: true,
  },
  INVALID_JOB_ID: {
    status: 400,
    message: '{jobId} is not a send job id{ofSession}',
  },
  JOB_NOT_FOUND: {
    status: 404,
    message: 'no send job {jobId} (never enqueued, or its records expired)',
  },
  CLIENT_CLOSED: {
    status: 503,
    message: 'the wafleet client is closed',
  },
});

/** The job failed for good (permanent error, or every attempt used). */
export class SendFailedError extends WafleetError<'MESSAGE_FAILED'> {
  readonly jobId: string;
  readonly messageId: string;
  readonly reason: SendFailureReason;
  readonly attemptsMade: number | undefined;

  constructor(details: {
    jobId: string;
    messageId: string;
    reason: SendFailureReason;
    error: string;
    attemptsMade?: number;
  }) {
    super('MESSAGE_FAILED', clientErrors.catalogue.MESSAGE_FAILED, {
      ...details,
      detail: details.error ? `: ${details.error}` : '',
    });
    this.jobId = details.jobId;
    this.messageId = details.messageId;
    this.reason = details.reason;
    this.attemptsMade = details.attemptsMade;
  }
}

/** `waitUntilSent` gave up: the job is still queued, retrying or in flight. */
export class WaitTimeoutError extends WafleetError<'WAIT_TIMEOUT'> {
  readonly jobId: string;
  readonly timeoutMs: number;
  /** The job's state when the wait ended (`waiting`, `delayed`, `active`, `unknown`). */
  readonly state: string;

  constructor(details: { jobId: string; timeoutMs: number; state: string }) {
    super('WAIT_TIMEOUT', clientErrors.catalogue.WAIT_TIMEOUT, details);
    this.jobId = details.jobId;
    this.timeoutMs = details.timeoutMs;
    this.state = details.state;
  }
}

/** A job id that `sendJobId` did not make, or that belongs to another session. */
export class InvalidJobIdError extends WafleetError<'INVALID_JOB_ID'> {
  constructor(jobId: string, sessionId?: string) {
    super('INVALID_JOB_ID', clientErrors.catalogue.INVALID_JOB_ID, {
      jobId,
      ofSession: sessionId === undefined ? '' : ` of session ${sessionId}`,
    });
  }
}

/** Neither the job nor its message status record exists. */
export class JobNotFoundError extends WafleetError<'JOB_NOT_FOUND'> {
  constructor(jobId: string) {
    super('JOB_NOT_FOUND', clientErrors.catalogue.JOB_NOT_FOUND, { jobId });
  }
}

/** The client was used after `close()`. */
export class ClientClosedError extends WafleetError<'CLIENT_CLOSED'> {
  constructor() {
    super('CLIENT_CLOSED', clientErrors.catalogue.CLIENT_CLOSED);
  }
}
