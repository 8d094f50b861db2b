import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import { classifySendError } from './classify-send-error.js';
import { SendError, SendValidationError } from './errors.js';
import {
  failureKind,
  formatFailureText,
  parseFailureText,
  SEND_FAILURE_REASONS,
  type SendFailureKind,
  type SendFailureReason,
} from './send-failure-reason.js';

const EXPECTED_KIND: Record<SendFailureReason, SendFailureKind> = {
  invalid_payload: 'permanent',
  not_on_whatsapp: 'permanent',
  session_logged_out: 'permanent',
  session_forbidden: 'permanent',
  media_too_large: 'permanent',
  media_unreachable: 'permanent',
  expired: 'permanent',
  socket_closed: 'transient',
  timeout: 'transient',
  rate_limited: 'transient',
  ack_timeout: 'transient',
  fenced_out: 'transient',
  unknown: 'transient',
  reengagement_window: 'permanent',
  throughput_limited: 'transient',
  token_invalid: 'transient',
};

function boom(statusCode: number, message = 'boom'): Error {
  return Object.assign(new Error(message), { isBoom: true, output: { statusCode } });
}

function sysError(code: string): Error {
  return Object.assign(new Error(`${code} happened`), { code });
}

function graph(httpStatus: number, graphCode?: number): Error {
  return Object.assign(new Error(`Graph error ${graphCode ?? '-'}`), {
    name: 'GraphApiError',
    httpStatus,
    ...(graphCode !== undefined ? { graphCode } : {}),
  });
}

describe('classifySendError: Graph API errors (Cloud API sessions)', () => {
  it.each<[number, number | undefined, SendFailureReason, SendFailureKind]>([
    [400, 130429, 'throughput_limited', 'transient'],
    [400, 131056, 'throughput_limited', 'transient'],
    [400, 131047, 'reengagement_window', 'permanent'],
    [401, 190, 'token_invalid', 'transient'],
    [400, 100, 'invalid_payload', 'permanent'],
    [400, 132001, 'invalid_payload', 'permanent'],
    [400, 131026, 'not_on_whatsapp', 'permanent'],
    [400, 131053, 'media_unreachable', 'permanent'],
    [403, 368, 'session_forbidden', 'permanent'],
    [500, undefined, 'unknown', 'transient'],
    [503, 131016, 'unknown', 'transient'],
    [0, undefined, 'timeout', 'transient'],
    [429, undefined, 'throughput_limited', 'transient'],
    [401, undefined, 'token_invalid', 'transient'],
    [400, 999999, 'invalid_payload', 'permanent'],
  ])('HTTP %i code %s → %s (%s)', (httpStatus, graphCode, reason, kind) => {
    expect(classifySendError(graph(httpStatus, graphCode))).toMatchObject({ reason, kind });
  });
});

describe('classifySendError', () => {
  it.each(SEND_FAILURE_REASONS.map((reason) => [reason, EXPECTED_KIND[reason]] as const))(
    'SendError(%s) is %s and keeps its reason',
    (reason, kind) => {
      expect(failureKind(reason)).toBe(kind);
      expect(classifySendError(new SendError(reason, 'detail'))).toEqual({
        kind,
        reason,
        message: 'detail',
      });
    },
  );

  it('covers every reason in the expectation table', () => {
    expect(Object.keys(EXPECTED_KIND).sort()).toEqual([...SEND_FAILURE_REASONS].sort());
  });

  it.each<[string, unknown, SendFailureReason, SendFailureKind]>([
    [
      'a validation error',
      new SendValidationError([{ path: 'to', rule: 'x' }]),
      'invalid_payload',
      'permanent',
    ],
    ['Boom 401 (logged out)', boom(401), 'session_logged_out', 'permanent'],
    ['Boom 403 (forbidden)', boom(403), 'session_forbidden', 'permanent'],
    ['Boom 408 (timed out)', boom(408), 'timeout', 'transient'],
    ['Boom 413', boom(413), 'media_too_large', 'permanent'],
    ['Boom 428 (connection closed)', boom(428), 'socket_closed', 'transient'],
    ['Boom 440 (replaced)', boom(440), 'socket_closed', 'transient'],
    ['Boom 515 (restart required)', boom(515), 'socket_closed', 'transient'],
    ['Boom 429', boom(429), 'rate_limited', 'transient'],
    [
      'statusCode 503 at top level',
      Object.assign(new Error('x'), { statusCode: 503 }),
      'socket_closed',
      'transient',
    ],
    ['Boom 418 (no meaning to us)', boom(418), 'unknown', 'transient'],
    ['ECONNRESET', sysError('ECONNRESET'), 'socket_closed', 'transient'],
    ['EPIPE', sysError('EPIPE'), 'socket_closed', 'transient'],
    ['ETIMEDOUT', sysError('ETIMEDOUT'), 'timeout', 'transient'],
    [
      'an AbortSignal.timeout error',
      new DOMException('timed out', 'TimeoutError'),
      'timeout',
      'transient',
    ],
    [
      'UnrecoverableError with our prefix',
      new UnrecoverableError('not_on_whatsapp: no account'),
      'not_on_whatsapp',
      'permanent',
    ],
    [
      'UnrecoverableError without a prefix',
      new UnrecoverableError('broken'),
      'unknown',
      'permanent',
    ],
    ['a plain Error', new Error('weird'), 'unknown', 'transient'],
    ['a thrown string', 'oops', 'unknown', 'transient'],
    ['undefined', undefined, 'unknown', 'transient'],
  ])('%s → %s (%s)', (_label, err, reason, kind) => {
    const result = classifySendError(err);
    expect(result.reason).toBe(reason);
    expect(result.kind).toBe(kind);
  });

  it('passes the server-requested wait of a rate limit through', () => {
    expect(
      classifySendError(new SendError('rate_limited', 'slow down', { retryAfterMs: 1234 })),
    ).toMatchObject({ reason: 'rate_limited', retryAfterMs: 1234 });
  });
});

describe('failure text', () => {
  it.each<[SendFailureReason, string, string]>([
    [
      'expired',
      'expired at 2030-01-01T00:00:00.000Z',
      'expired: expired at 2030-01-01T00:00:00.000Z',
    ],
    ['ack_timeout', '', 'ack_timeout'],
    ['invalid_payload', 'to: must be x: y', 'invalid_payload: to: must be x: y'],
  ])('%s round-trips through BullMQ failedReason', (reason, detail, text) => {
    expect(formatFailureText(reason, detail)).toBe(text);
    expect(parseFailureText(text)).toEqual({ reason, message: detail });
  });

  it('falls back to unknown for text we did not write', () => {
    expect(parseFailureText('job stalled more than allowable limit')).toEqual({
      reason: 'unknown',
      message: 'job stalled more than allowable limit',
    });
  });
});
