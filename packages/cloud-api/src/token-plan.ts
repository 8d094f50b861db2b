import type { CloudSessionConfig } from './cloud-session-config.schema.js';

/** What to do about a token now. */
export type TokenAction = 'refresh' | 'warn' | 'ok' | 'expired';

/** Inputs of {@link planTokenAction}. */
export interface TokenPlanInput {
  tokenType: CloudSessionConfig['tokenType'];
  /** Epoch ms; 0 or undefined = never expires / unknown. */
  expiresAt: number | undefined;
  now: number;
  /** A `user` token this close to expiry is exchanged for a fresh one. */
  refreshAheadMs: number;
  /** Any token this close to expiry raises a warning. */
  warnAheadMs: number;
}

/**
 * Decides what the token keeper does (pure). Past expiry → `expired` (an expired token cannot be
 * exchanged: a person must log in again). A `user` token within `refreshAheadMs` → `refresh`.
 * Any token within `warnAheadMs` → `warn`. System-user tokens are never refreshed: Meta offers
 * no exchange for them, an operator rotates them. No known expiry → `ok`.
 */
export function planTokenAction(input: TokenPlanInput): TokenAction {
  const { expiresAt, now } = input;
  if (expiresAt === undefined || expiresAt <= 0) return 'ok';
  const remaining = expiresAt - now;
  if (remaining <= 0) return 'expired';
  if (input.tokenType === 'user' && remaining <= input.refreshAheadMs) return 'refresh';
  if (remaining <= input.warnAheadMs) return 'warn';
  return 'ok';
}
