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

/**
 * Graph API error codes (Cloud API sessions) and what they mean for the message. Codes not listed
 * fall back on the HTTP status: 4xx is a problem with this request, 5xx is Graph's and retried.
 */
function reasonForGraphCode(code: number): SendFailureReason | undefined {
  switch (code) {
    case 130429: // throughput of the number reached
    case 131056: // too many messages to the same recipient (pair rate limit)
    case 80007: // business account rate limit
    case 4: // application request limit
      return 'throughput_limited';
    case 131047: // more than 24 h since the recipient last wrote: only a template may go
      return 'reengagement_window';
    case 190: // access token expired or revoked
      return 'token_invalid';
    case 131026: // message undeliverable (recipient not on WhatsApp, old client)
      return 'not_on_whatsapp';
    case 131052: // media download error
    case 131053: // media upload error
      return 'media_unreachable';
    case 368: // temporarily blocked for policy violations
    case 131031: // account locked
    case 10: // permission denied
    case 200: // permission error
      return 'session_forbidden';
    case 100: // invalid parameter
    case 131008: // required parameter missing
    case 131009: // parameter value not valid
    case 131021: // recipient cannot be the sender
    case 131030: // recipient not in the allowed list (test numbers)
    case 131051: // unsupported message type
    case 132000: // template parameter count mismatch
    case 132001: // template does not exist
    case 132005: // template hydrated text too long
    case 132007: // template format policy violated
    case 132012: // template parameter format mismatch
    case 135000: // generic user error
      return 'invalid_payload';
    default:
      return undefined;
  }
}

/** A Graph API failure as `@wafleet/cloud-api` throws it (matched by shape: no import needed). */
interface GraphErrorShape {
  name: 'GraphApiError';
  httpStatus: number;
  graphCode?: number;
  message: string;
  retryAfterMs?: number;
}

function isGraphError(err: object): err is GraphErrorShape {
  return (
    (err as { name?: unknown }).name === 'GraphApiError' &&
    typeof (err as { httpStatus?: unknown }).httpStatus === 'number'
  );
}

function classifyGraphError(err: GraphErrorShape): SendErrorClassification {
  const byCode = err.graphCode === undefined ? undefined : reasonForGraphCode(err.graphCode);
  const retryAfterMs = { retryAfterMs: err.retryAfterMs };
  if (byCode) return classified(byCode, err.message, retryAfterMs);
  if (err.httpStatus === 0) return classified('timeout', err.message);
  if (err.httpStatus === 401) return classified('token_invalid', err.message);
  if (err.httpStatus === 429) return classified('throughput_limited', err.message, retryAfterMs);
  if (err.httpStatus >= 400 && err.httpStatus < 500 && err.httpStatus !== 408) {
    return classified('invalid_payload', err.message);
  }
  return classified('unknown', err.message);
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
    if (isGraphError(err)) return classifyGraphError(err);
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
