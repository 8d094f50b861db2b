import { defineErrors } from '@wafleet/core';

/** Errors raised by @wafleet/session. */
export const sessionErrors = defineErrors({
  SESSION_NOT_OPEN: {
    status: 409,
    message: 'session {sessionId} is not open (state {state})',
    retryable: true,
  },
  SEND_FAILED: {
    status: 502,
    message: 'send on session {sessionId} failed: {reason}',
    retryable: true,
  },
  BAD_PHONE: { status: 400, message: 'phone must be {rule}' },
  PAIRING_NOT_POSSIBLE: {
    status: 409,
    message:
      'a pairing code can be requested only while session {sessionId} waits for a login (now: {state})',
  },
  PAIRING_REJECTED: {
    status: 502,
    message: 'WhatsApp rejected the pairing code request for session {sessionId}: {reason}',
  },
});
