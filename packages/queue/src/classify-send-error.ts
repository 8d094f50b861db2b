import { SendError, SendValidationError } from './errors.js';
import {
  failureKind,
  parseFailureText,
  type SendFailureKind,
  type SendFailureReason,
} from './send-failure-reason.js';

/** What {@link classifySendError} decided about one error. */
export interface SendErrorClassification {
  readonly kind: SendFailureKind;
  readonly reason: SendFailureReason;
  /** Human detail, without the reason prefix. */
  readonly message: string;
  /** Set when the server said how long to back off (rate limits). */
  readonly retryAfterMs?: number;
}

/**
 * Boom-style status codes (what Baileys attaches as `output.statusCode`) for transports that let
 * such errors through instead of throwing a {@link SendError}.
 */
function reasonForStatusCode(code: number): SendFailureReason | undefined {
  switch (code) {
    case 401:
      return 'session_logged_out';
    case 403:
      return 'session_forbidden';
    case 408:
      return 'timeout';
    case 413:
      return 'media_too_large';
    case 429:
      return 'rate_limited';
    // Connection-level codes: closed (428), replaced (440), bad session (500), unavailable (503),
    // restart required (515), multidevice mismatch (411). The message itself may be fine.
    case 411:
    case 428:
    case 440:
    case 500:
    case 503:
    case 515:
      return 'socket_closed';
    default:
      return undefined;
  }
}

/** Node socket error codes that mean "the connection went away", not "this message is bad". */
const SOCKET_ERROR_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNREFUSED',
  'ENOTCONN',
  'ECONNABORTED',
]);
const TIMEOUT_ERROR_CODES = new Set(['ETIMEDOUT', 'ESOCKETTIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT']);

function statusCodeOf(err: object): number | undefined {
  const output = (err as { output?: { statusCode?: unknown } }).output;
  if (output && typeof output.statusCode === 'number') return output.statusCode;
  const direct = (err as { statusCode?: unknown }).statusCode;
  return typeof direct === 'number' ? direct : undefined;
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : (JSON.stringify(err) ?? String(err));
}

function classified(
  reason: SendFailureReason,
  message: string,
  extra: { kind?: SendFailureKind; retryAfterMs?: number | undefined } = {},
): SendErrorClassification {
  return {
    kind: extra.kind ?? failureKind(reason),
    reason,
    message,
    ...(extra.retryAfterMs !== undefined ? { retryAfterMs: extra.retryAfterMs } : {}),
  };
}

/**
 * The one place that decides whether a failed send is retried. Pure: an error in, a reason and
 * a kind out. Unknown errors are transient (`unknown`): a message is failed for good only for a
 * reason we understand.
 */
export function classifySendError(err: unknown): SendErrorClassification {
  if (err instanceof SendError) {
    return classified(err.reason, err.detail, { retryAfterMs: err.retryAfterMs });
  }
  if (err instanceof SendValidationError) {
    return classified('invalid_payload', err.message);
  }
  if (typeof err === 'object' && err !== null) {
    const name = (err as { name?: unknown }).name;
    // BullMQ's UnrecoverableError (matched by name so this module needs no BullMQ import): the
    // thrower already decided it is permanent; keep its reason if it wrote one.
    if (name === 'UnrecoverableError') {
      const parsed = parseFailureText(messageOf(err));
      return classified(parsed.reason, parsed.message, { kind: 'permanent' });
    }
    const status = statusCodeOf(err);
    const byStatus = status === undefined ? undefined : reasonForStatusCode(status);
    if (byStatus) return classified(byStatus, messageOf(err));
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && SOCKET_ERROR_CODES.has(code)) {
      return classified('socket_closed', messageOf(err));
    }
    if (typeof code === 'string' && TIMEOUT_ERROR_CODES.has(code)) {
      return classified('timeout', messageOf(err));
    }
    if (name === 'TimeoutError' || name === 'AbortError') {
      return classified('timeout', messageOf(err));
    }
  }
  return classified('unknown', messageOf(err));
}
