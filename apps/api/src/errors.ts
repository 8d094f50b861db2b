import { defineErrors } from '@wafleet/core';

/**
 * Every error code the HTTP API answers with (besides those of the packages it calls, which carry
 * their own status). The wire shape is always `{ error: { code, message, details } }`.
 */
export const apiErrors = defineErrors({
  UNAUTHENTICATED: {
    status: 401,
    message: '{reason}: send an API key as "Authorization: Bearer <key>" or "X-Api-Key: <key>"',
  },
  FORBIDDEN: {
    status: 403,
    message: 'this API key lacks the scope this route needs (one of: {needed})',
  },
  RATE_LIMITED: {
    status: 429,
    message: 'rate limit of {limit} requests per minute reached; retry in {retryAfterSeconds} s',
    retryable: true,
  },
  VALIDATION_FAILED: {
    status: 400,
    message: 'invalid request: {summary}',
  },
  BAD_JSON: {
    status: 400,
    message: 'the request body is not valid JSON',
  },
  BAD_REQUEST: {
    status: 400,
    message: '{reason}',
  },
  BODY_TOO_LARGE: {
    status: 413,
    message: 'the request body is larger than {limit} bytes',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: 'send the request body as application/json',
  },
  NOT_FOUND: {
    status: 404,
    message: 'no route {method} {path}',
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    message: '{method} is not allowed on {path} (allowed: {allowed})',
  },
  SESSION_NOT_FOUND: {
    status: 404,
    message: 'no session {sessionId}',
  },
  SESSION_EXISTS: {
    status: 409,
    message: 'session {sessionId} exists already',
  },
  SESSION_STILL_DELETING: {
    status: 409,
    message:
      'session {sessionId} was deleted and its last owner has not let go of it yet; retry in a few seconds',
    retryable: true,
  },
  SESSION_KIND_MISMATCH: {
    status: 409,
    message: 'session {sessionId} is of kind {kind}: this route is for cloud sessions',
  },
  SESSION_KIND_MISMATCH_LINKED: {
    status: 409,
    message:
      'session {sessionId} is a Cloud API session: QR codes and scan links exist only for baileys sessions',
  },
  CLOUD_CONFIG_REQUIRED: {
    status: 400,
    message:
      'a session of kind cloud needs "cloud" (phoneNumberId, accessToken, …); a baileys session must not have it',
  },
  WEBHOOK_SIGNATURE_INVALID: {
    status: 401,
    message: 'X-Hub-Signature-256 is missing or does not match the body',
  },
  WEBHOOK_VERIFICATION_FAILED: {
    status: 403,
    message: 'hub.verify_token does not match the verify token of this session',
  },
  SESSION_NOT_OWNED: {
    status: 409,
    message:
      'session {sessionId} is not held by any worker yet (state {state}, desired {desired}); retry once a worker owns it',
    retryable: true,
  },
  WORKER_UNREACHABLE: {
    status: 503,
    message: 'worker {worker} that owns session {sessionId} is not listening; retry shortly',
    retryable: true,
  },
  QR_NOT_AVAILABLE: {
    status: 409,
    message: 'session {sessionId} is in state {state}: a QR code exists only while the state is qr',
  },
  PAIRING_FAILED: {
    status: 422,
    message: 'the pairing code request for session {sessionId} failed: {reason}',
  },
  PAIRING_TIMEOUT: {
    status: 504,
    message: 'no answer to the pairing code request for session {sessionId} within {timeoutMs} ms',
    retryable: true,
  },
  JOB_NOT_FOUND: {
    status: 404,
    message: 'no send job {jobId}',
  },
  MESSAGE_NOT_FOUND: {
    status: 404,
    message: 'no message {messageId} in session {sessionId}',
  },
  API_KEY_NOT_FOUND: {
    status: 404,
    message: 'no API key {keyId}',
  },
  WEBHOOK_URL_DENIED: {
    status: 400,
    message: 'webhook.url is not allowed: {reason}',
  },
  SCAN_TOKEN_INVALID: {
    status: 401,
    message: 'the scan link is {reason}; ask for a new one',
  },
  DEMO_DISABLED: {
    status: 404,
    message: 'the simulated phone exists only in demo mode (WA_SIM_CONTROL_URL)',
  },
  DEMO_FAILED: {
    status: 502,
    message: 'the simulator refused the scan: {reason}',
  },
  UNAVAILABLE: {
    status: 503,
    message: 'a dependency is unreachable ({what}); retry shortly',
    retryable: true,
  },
  INTERNAL: {
    status: 500,
    message: 'internal error; quote error id {errorId} when reporting it',
  },
});

/** A code of {@link apiErrors}. */
export type ApiErrorCode = (typeof apiErrors.codes)[number];
