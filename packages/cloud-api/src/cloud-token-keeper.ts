import type { CloudSessionConfig } from './cloud-session-config.schema.js';
import type { CloudSessionStore } from './cloud-session-store.js';
import { GraphApiError } from './graph-api-error.js';
import type { GraphClient } from './graph-client.js';
import { planTokenAction } from './token-plan.js';

/** Event types of {@link CloudTokenKeeper}. */
export type CloudTokenEventType =
  | 'token.checked'
  | 'token.refreshed'
  | 'token.refresh_failed'
  | 'token.expiring'
  | 'token.invalid';

/** What the keeper reports. `data` never contains a token or secret. */
export interface CloudTokenEvent {
  type: CloudTokenEventType;
  data: Record<string, unknown>;
}

/** Options of {@link CloudTokenKeeper}. */
export interface CloudTokenKeeperOptions {
  store: CloudSessionStore;
  /** A client, or a factory for the session's own base URL and Graph version. */
  client: GraphClient | ((baseUrl: string, version: string) => GraphClient);
  sessionId: string;
  /** Default 7 days. */
  refreshAheadMs?: number;
  /** Default 10 days. */
  warnAheadMs?: number;
  now?: () => number;
  onEvent: (event: CloudTokenEvent) => void;
}

const DAY_MS = 24 * 3600 * 1000;
/** Default: refresh user tokens a week before they expire (they last about 60 days). */
export const DEFAULT_REFRESH_AHEAD_MS = 7 * DAY_MS;
/** Default: warn 10 days before any token expires. */
export const DEFAULT_WARN_AHEAD_MS = 10 * DAY_MS;

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function graphFacts(err: unknown): Record<string, unknown> {
  if (!(err instanceof GraphApiError)) return {};
  return {
    httpStatus: err.httpStatus,
    ...(err.graphCode !== undefined ? { graphCode: err.graphCode } : {}),
    ...(err.graphSubcode !== undefined ? { graphSubcode: err.graphSubcode } : {}),
  };
}

/**
 * Looks after one Cloud API session's access token. Each {@link runOnce}: check it with
 * `debug_token` (when the app id and secret are known) and record the result; exchange a `user`
 * token that nears expiry for a fresh one (on failure the old token stays); warn about any token
 * near expiry. Scheduling is the caller's: run it periodically on the worker owning the session.
 */
export class CloudTokenKeeper {
  private readonly options: CloudTokenKeeperOptions;
  private readonly refreshAheadMs: number;
  private readonly warnAheadMs: number;
  private readonly now: () => number;

  constructor(options: CloudTokenKeeperOptions) {
    this.options = options;
    this.refreshAheadMs = options.refreshAheadMs ?? DEFAULT_REFRESH_AHEAD_MS;
    this.warnAheadMs = options.warnAheadMs ?? DEFAULT_WARN_AHEAD_MS;
    this.now = options.now ?? Date.now;
  }

  /** One check/refresh/warn pass. Store (Redis) failures are thrown; Graph failures become events. */
  async runOnce(): Promise<void> {
    const { store, sessionId } = this.options;
    const config = await store.load(sessionId);
    if (config === undefined) return;
    const secrets = [config.accessToken, config.appSecret ?? ''];
    const emit = (type: CloudTokenEventType, data: Record<string, unknown>): void =>
      this.emit(type, { sessionId, ...data }, secrets);
    const client =
      typeof this.options.client === 'function'
        ? this.options.client(config.baseUrl, config.graphVersion)
        : this.options.client;
    const now = this.now();
    let expiresAt = config.tokenExpiresAt;

    if (config.appId !== undefined && config.appSecret !== undefined) {
      try {
        const info = await client.debugToken({
          inputToken: config.accessToken,
          appId: config.appId,
          appSecret: config.appSecret,
        });
        await store.recordTokenCheck(sessionId, {
          isValid: info.isValid,
          expiresAt: info.expiresAt,
          checkedAt: now,
          ...(info.isValid ? {} : { error: 'debug_token says the token is not valid' }),
        });
        emit('token.checked', {
          ok: true,
          isValid: info.isValid,
          expiresAt: info.expiresAt,
          ...(info.type !== undefined ? { tokenType: info.type } : {}),
          ...(info.scopes !== undefined ? { scopes: info.scopes } : {}),
        });
        if (!info.isValid) {
          // An invalid token cannot be exchanged either; an operator has to replace it.
          emit('token.invalid', { reason: 'debug_token', expiresAt: info.expiresAt });
          return;
        }
        expiresAt = info.expiresAt;
      } catch (err) {
        // Graph (or the network) did not answer: plan on the expiry we already know.
        emit('token.checked', { ok: false, error: messageOf(err), ...graphFacts(err) });
      }
    }

    const action = planTokenAction({
      tokenType: config.tokenType,
      expiresAt,
      now,
      refreshAheadMs: this.refreshAheadMs,
      warnAheadMs: this.warnAheadMs,
    });
    switch (action) {
      case 'ok':
        return;
      case 'expired':
        await store.recordTokenCheck(sessionId, {
          isValid: false,
          expiresAt: expiresAt ?? 0,
          checkedAt: now,
          error: `the token expired at ${new Date(expiresAt ?? 0).toISOString()}`,
        });
        emit('token.invalid', { reason: 'expired', expiresAt });
        return;
      case 'refresh':
        if (await this.refresh(config, client, expiresAt, emit)) return;
        // The old token still works until it expires: say how long it has left.
        if ((expiresAt ?? 0) - now <= this.warnAheadMs) {
          emit('token.expiring', { expiresAt, remainingMs: (expiresAt ?? 0) - now });
        }
        return;
      case 'warn':
        emit('token.expiring', { expiresAt, remainingMs: (expiresAt ?? 0) - now });
        return;
    }
  }

  /** Exchanges the token; true when the session has a fresh one (or an operator's newer one). */
  private async refresh(
    config: CloudSessionConfig,
    client: GraphClient,
    expiresAt: number | undefined,
    emit: (type: CloudTokenEventType, data: Record<string, unknown>) => void,
  ): Promise<boolean> {
    const { store, sessionId } = this.options;
    if (config.appId === undefined || config.appSecret === undefined) {
      emit('token.refresh_failed', {
        error: 'a user token is refreshed with the app id and app secret; the session has neither',
        expiresAt,
      });
      return false;
    }
    try {
      const fresh = await client.exchangeToken({
        appId: config.appId,
        appSecret: config.appSecret,
        token: config.accessToken,
      });
      const written = await store.replaceToken(sessionId, fresh.accessToken, {
        ...(fresh.expiresAt !== undefined ? { expiresAt: fresh.expiresAt } : {}),
        refreshed: true,
        replaces: config.accessToken,
      });
      // Not written: an operator replaced the token while we exchanged; theirs stays.
      if (written) {
        emit('token.refreshed', { expiresAt: fresh.expiresAt, previousExpiresAt: expiresAt });
      }
      return true;
    } catch (err) {
      emit('token.refresh_failed', { error: messageOf(err), expiresAt, ...graphFacts(err) });
      return false;
    }
  }

  private emit(type: CloudTokenEventType, data: Record<string, unknown>, secrets: string[]): void {
    // Belt and braces: Graph errors are scrubbed already, but no event may ever carry a secret.
    for (const [key, value] of Object.entries(data)) {
      if (typeof value !== 'string') continue;
      let clean = value;
      for (const secret of secrets) {
        if (secret.length >= 4) clean = clean.split(secret).join('[redacted]');
      }
      data[key] = clean;
    }
    try {
      this.options.onEvent({ type, data });
    } catch {
      // A listener's failure must not stop the token from being looked after.
    }
  }
}
