/**
 * States of one session (ARCHITECTURE.md "Connection lifecycle"). Terminal states need an operator
 * (or a new login) before the session connects again; the runner never loops out of them by itself.
 */
export const SESSION_STATES = [
  'stopped',
  'connecting',
  'qr',
  'pairing_code',
  'open',
  'reconnecting',
  'logged_out',
  'needs_pairing',
  'conflict',
  'auth_error',
  'failed',
  /** Cloud API sessions: Graph refused the access token (code 190); a new token resumes. */
  'token_invalid',
] as const;

export type SessionState = (typeof SESSION_STATES)[number];

/** States the runner leaves only through an explicit start (or a new login). */
export const TERMINAL_STATES: ReadonlySet<SessionState> = new Set([
  'stopped',
  'logged_out',
  'needs_pairing',
  'conflict',
  'auth_error',
  'failed',
  'token_invalid',
]);
