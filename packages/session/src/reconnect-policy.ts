import type { SessionState } from './session-state.js';

/** Baileys `DisconnectReason` codes (lib/Types/index: the enum is the truth; some tutorials swap 428 and 440). */
export const DisconnectCode = {
  connectionClosed: 428,
  connectionLost: 408,
  timedOut: 408,
  connectionReplaced: 440,
  loggedOut: 401,
  badSession: 500,
  restartRequired: 515,
  multideviceMismatch: 411,
  forbidden: 403,
  unavailableService: 503,
  /** Not a Baileys enum member: the handshake's certificate check failed (Boom 400). */
  untrustedServer: 400,
} as const;

/** Why a socket closed, as Baileys reports it in `lastDisconnect`. */
export interface DisconnectCause {
  /** `lastDisconnect.error.output.statusCode`; undefined when Baileys gave none. */
  code: number | undefined;
  /** `lastDisconnect.error.message`, used to recognise "QR refs attempts ended" (also 408). */
  message?: string;
}

/** What the runner remembers between closes. */
export interface ReconnectHistory {
  /** Closes since the last *stable* open (a short open does not reset this). */
  failuresSinceStableOpen: number;
  /** Times (ms) of recent 440 conflicts, the close being decided included. */
  recentConflicts: readonly number[];
  now: number;
}

export interface ReconnectPolicyOptions {
  /** No reconnect (but 515's) happens sooner than this. */
  minDelayMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** 440 waits at least this long: another client holds the device right now. */
  conflictBaseDelayMs: number;
  /** This many 440s within `conflictWindowMs` stop the session in `conflict`. */
  maxConflicts: number;
  conflictWindowMs: number;
  /** Failures without a stable open before the session gives up in `failed`. */
  restartBudget: number;
  /** An open lasting at least this long counts as stable and resets the budget. */
  stableOpenMs: number;
}

export const DEFAULT_RECONNECT_POLICY: ReconnectPolicyOptions = {
  minDelayMs: 250,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  conflictBaseDelayMs: 5000,
  maxConflicts: 3,
  conflictWindowMs: 120_000,
  restartBudget: 12,
  stableOpenMs: 60_000,
};

/** The decision for one close. */
export type ReconnectAction =
  | {
      type: 'reconnect';
      delayMs: number;
      /** 515: reconnect only after the creds written by pair-success are durably committed. */
      afterCredsCommitted: boolean;
      reason: string;
    }
  | {
      type: 'stop';
      state: Extract<SessionState, 'logged_out' | 'needs_pairing' | 'conflict' | 'failed'>;
      /** 401: the device was removed; its auth state is useless and must go. */
      wipeAuth: boolean;
      reason: string;
    };

const QR_REFS_ENDED = /QR refs attempts ended/i;

/** Full jitter: uniform in [0, min(cap, base·2^attempt)] (AWS architecture blog, "Exponential Backoff And Jitter"). */
export function fullJitterDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/**
 * `ReconnectPolicy(code, history) → action`: what to do when a socket closes. Pure; the runner
 * applies it. No code reconnects in a tight loop: 515 restarts once at once (pair-success asks for
 * it), everything transient backs off with full jitter, conflicts stop after a few, and a budget of
 * failures without a stable open ends in `failed`.
 */
export function decideReconnect(
  cause: DisconnectCause,
  history: ReconnectHistory,
  options: ReconnectPolicyOptions = DEFAULT_RECONNECT_POLICY,
  random: () => number = Math.random,
): ReconnectAction {
  const attempt = history.failuresSinceStableOpen;
  const backoff = (reason: string, floorMs = options.minDelayMs): ReconnectAction => ({
    type: 'reconnect',
    // Full jitter spreads a fleet's reconnects; the floor keeps even an unlucky draw from spinning.
    delayMs: Math.max(
      floorMs,
      fullJitterDelay(attempt, options.baseDelayMs, options.maxDelayMs, random),
    ),
    afterCredsCommitted: false,
    reason,
  });
  const overBudget = attempt >= options.restartBudget;
  switch (cause.code) {
    case DisconnectCode.loggedOut:
      return {
        type: 'stop',
        state: 'logged_out',
        wipeAuth: true,
        reason: 'logged out (device removed or logged out on the phone)',
      };
    case DisconnectCode.untrustedServer:
      if (!cause.message || !/certificate/i.test(cause.message)) {
        if (overBudget) return budgetExhausted(cause);
        return backoff('bad request (400)');
      }
      // Baileys raises 400 when the Noise certificate chain fails; with the strict check installed
      // that means the server is not WhatsApp (or the trusted wa-sim). Never retry into it.
      return {
        type: 'stop',
        state: 'failed',
        wipeAuth: false,
        reason: `refused the server: its Noise certificate is not trusted (${cause.message ?? '400'})`,
      };
    case DisconnectCode.forbidden:
      return {
        type: 'stop',
        state: 'failed',
        wipeAuth: false,
        reason: 'forbidden (403): the account is blocked or banned',
      };
    case DisconnectCode.multideviceMismatch:
      return {
        type: 'stop',
        state: 'failed',
        wipeAuth: false,
        reason: 'multi-device mismatch (411): the phone must re-link this device',
      };
    case DisconnectCode.restartRequired:
      // A restart right after pairing is part of the protocol, not a failure; the budget still
      // applies so a server that sends 515 forever cannot spin us.
      if (overBudget) return budgetExhausted(cause);
      return {
        type: 'reconnect',
        delayMs: 0,
        afterCredsCommitted: true,
        reason: 'restart required (515)',
      };
    case DisconnectCode.connectionReplaced: {
      const windowStart = history.now - options.conflictWindowMs;
      const conflicts = history.recentConflicts.filter((t) => t >= windowStart).length;
      if (conflicts >= options.maxConflicts) {
        return {
          type: 'stop',
          state: 'conflict',
          wipeAuth: false,
          reason: `connection replaced (440) ${conflicts} times within ${Math.round(options.conflictWindowMs / 1000)} s: another client is using this device`,
        };
      }
      if (overBudget) return budgetExhausted(cause);
      return backoff('connection replaced (440)', options.conflictBaseDelayMs);
    }
    case DisconnectCode.timedOut:
      if (cause.message && QR_REFS_ENDED.test(cause.message)) {
        return {
          type: 'stop',
          state: 'needs_pairing',
          wipeAuth: false,
          reason: 'QR codes expired without a scan',
        };
      }
      if (overBudget) return budgetExhausted(cause);
      return backoff('connection lost or timed out (408)');
    case DisconnectCode.connectionClosed:
    case DisconnectCode.badSession:
    case DisconnectCode.unavailableService:
    default:
      if (overBudget) return budgetExhausted(cause);
      return backoff(`connection closed (${cause.code ?? 'no code'})`);
  }
}

function budgetExhausted(cause: DisconnectCause): ReconnectAction {
  return {
    type: 'stop',
    state: 'failed',
    wipeAuth: false,
    reason: `gave up after repeated failures without a stable connection (last code ${cause.code ?? 'none'})`,
  };
}
