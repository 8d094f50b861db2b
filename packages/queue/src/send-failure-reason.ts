/**
 * Why a send failed: a closed set, so failures are data that survive the queue (BullMQ's
 * `failedReason` starts with the code) and map to retries, HTTP statuses and webhooks in one place.
 */
export const SEND_FAILURE_REASONS = [
  'invalid_payload',
  'not_on_whatsapp',
  'session_logged_out',
  'session_forbidden',
  'media_too_large',
  'media_unreachable',
  'expired',
  'socket_closed',
  'timeout',
  'rate_limited',
  'ack_timeout',
  'fenced_out',
  'unknown',
  // Cloud API (official) sessions.
  'reengagement_window',
  'throughput_limited',
  'token_invalid',
] as const;

/** One of {@link SEND_FAILURE_REASONS}. */
export type SendFailureReason = (typeof SEND_FAILURE_REASONS)[number];

/** Whether a failure ends the job (`permanent`) or is retried (`transient`). */
export type SendFailureKind = 'permanent' | 'transient';

/** True when `value` is one of {@link SEND_FAILURE_REASONS}. */
export function isSendFailureReason(value: unknown): value is SendFailureReason {
  return typeof value === 'string' && (SEND_FAILURE_REASONS as readonly string[]).includes(value);
}

/**
 * The kind of each reason. An exhaustive switch: adding a reason without deciding whether it is
 * retried does not compile.
 */
export function failureKind(reason: SendFailureReason): SendFailureKind {
  switch (reason) {
    case 'invalid_payload':
    case 'not_on_whatsapp':
    case 'session_logged_out':
    case 'session_forbidden':
    case 'media_too_large':
    case 'media_unreachable': // the URL answered 4xx or does not resolve; a 5xx or a timeout is sent as `timeout`
    case 'expired':
    case 'reengagement_window': // Cloud API: outside the 24 h window only a template may go.
      return 'permanent';
    // A revoked Cloud API token: the session stops sending and the job waits at the head of the
    // queue until an operator replaces the token (the consumer hands it back, no attempt used).
    case 'token_invalid':
    case 'socket_closed':
    case 'timeout':
    case 'rate_limited':
    case 'ack_timeout':
    case 'fenced_out':
    case 'throughput_limited':
    case 'unknown': // retried: failing a message for good needs a reason we understand
      return 'transient';
  }
}

/**
 * Formats the text stored as BullMQ's `failedReason`: `<reason>: <detail>`, so any reader can
 * recover the code with {@link parseFailureText}.
 */
export function formatFailureText(reason: SendFailureReason, detail: string): string {
  return detail ? `${reason}: ${detail}` : reason;
}

/** Recovers the reason code from a `failedReason` written by {@link formatFailureText}. */
export function parseFailureText(text: string | undefined): {
  reason: SendFailureReason;
  message: string;
} {
  const match = /^([a-z_]+)(?::\s?([\s\S]*))?$/.exec(text ?? '');
  const code = match?.[1];
  if (match && isSendFailureReason(code)) return { reason: code, message: match[2] ?? '' };
  return { reason: 'unknown', message: text ?? '' };
}
