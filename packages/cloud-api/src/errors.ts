import { defineErrors } from '@wafleet/core';

/** Every error code @wafleet/cloud-api raises (Graph failures are {@link GraphApiError} instead). */
export const cloudApiErrors = defineErrors({
  CLOUD_SESSION_NOT_FOUND: {
    status: 404,
    message: 'session {sessionId} has no Cloud API configuration',
  },
  CLOUD_SESSION_CORRUPT: {
    status: 500,
    message:
      'Cloud API configuration of session {sessionId} is incomplete ({missing} missing); save the configuration again',
  },
  CLOUD_SECRET_UNREADABLE: {
    status: 500,
    message:
      'Cloud API {field} of session {sessionId} cannot be decrypted with ENCRYPTION_KEYS: {reason}',
  },
  CLOUD_INVALID_ARGUMENT: {
    status: 400,
    message: 'invalid Cloud API argument: {reason}',
  },
});
