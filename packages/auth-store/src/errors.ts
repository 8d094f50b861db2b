import { defineErrors, WafleetError, type ErrorDetails } from '@wafleet/core';

/** Every error code @wafleet/auth-store raises. */
export const authStoreErrors = defineErrors({
  FENCED_OUT: {
    status: 409,
    message:
      'auth state write for session {sessionId} refused: writer fence {writerFence} is older than the stored fence {storedFence} (another worker owns the session now)',
  },
  AUTH_KEY_MISSING: {
    status: 500,
    message:
      'auth state of session {sessionId} ({field}) was encrypted with key id "{keyId}", which is not in ENCRYPTION_KEYS (configured ids: {configured}); add that key back to ENCRYPTION_KEYS, or wipe the session and pair it again',
  },
  AUTH_DECRYPT_FAILED: {
    status: 500,
    message:
      'auth state of session {sessionId} ({field}) does not decrypt with key id "{keyId}" from ENCRYPTION_KEYS: {reason}',
  },
  AUTH_VALUE_UNSUPPORTED: {
    status: 500,
    message: 'cannot store auth state value: {reason} at {path}',
  },
  AUTH_STORE_INVALID_ARGUMENT: {
    status: 400,
    message: 'invalid auth store argument: {reason}',
  },
});

/** Codes of {@link AuthStateKeyError}. */
export type AuthStateKeyErrorCode = 'AUTH_KEY_MISSING' | 'AUTH_DECRYPT_FAILED';

/**
 * Stored auth state cannot be decrypted with `ENCRYPTION_KEYS` (key id unknown, wrong key, value
 * corrupted or moved). Never retried and never answered with a fresh login: the session runner
 * reports `auth_error` so an operator fixes the keys instead of silently re-pairing the number.
 */
export class AuthStateKeyError extends WafleetError<AuthStateKeyErrorCode> {
  readonly sessionId: string;
  readonly keyId: string;

  constructor(
    code: AuthStateKeyErrorCode,
    details: ErrorDetails & { sessionId: string; keyId: string },
    options?: { cause?: unknown },
  ) {
    super(code, authStoreErrors.catalogue[code], details, options);
    this.sessionId = details.sessionId;
    this.keyId = details.keyId;
  }
}

/**
 * A write carried a fence older than the session's stored fence counter: a newer owner exists.
 * The holder must stop the session at once (its socket is a zombie); retrying cannot succeed.
 */
export class FencedOutError extends WafleetError<'FENCED_OUT'> {
  readonly sessionId: string;
  readonly writerFence: number;
  readonly storedFence: number;

  constructor(sessionId: string, writerFence: number, storedFence: number) {
    super('FENCED_OUT', authStoreErrors.catalogue.FENCED_OUT, {
      sessionId,
      writerFence,
      storedFence,
    });
    this.sessionId = sessionId;
    this.writerFence = writerFence;
    this.storedFence = storedFence;
  }
}
