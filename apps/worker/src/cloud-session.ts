import { EventEmitter } from 'node:events';
import {
  buildGraphMessage,
  CloudTokenKeeper,
  GraphApiError,
  GraphClient,
  type CloudSessionConfig,
  type CloudSessionStore,
} from '@wafleet/cloud-api';
import type { Logger } from '@wafleet/core';
import {
  MESSAGE_ID_PATTERN,
  SendError,
  type SendContent,
  type SendContext,
  type SendJob,
  type SendResult,
  type SendTransport,
} from '@wafleet/queue';
import type { SessionState, SessionStatusEvent } from '@wafleet/session';
import { watchOpen } from './watch-open.js';

/** Events of a {@link CloudSessionRunner}: the same status events as a Baileys session. */
export interface CloudSessionEvents {
  status: [SessionStatusEvent];
}

/** What the Graph client reports per call (for the calls metric). */
type GraphCallInfo = { op: string; httpStatus: number; graphCode?: number };

/** Options of {@link CloudSessionRunner}. */
export interface CloudSessionRunnerOptions {
  sessionId: string;
  store: CloudSessionStore;
  logger: Logger;
  /** How often the token is checked (debug_token) and refreshed when due. */
  tokenCheckIntervalMs: number;
  refreshAheadMs: number;
  warnAheadMs: number;
  onCall?: (info: GraphCallInfo) => void;
  /** Token lifecycle events (`session.token_*`), published on the event stream. Never the token. */
  onTokenEvent: (type: string, data: Record<string, unknown>) => void;
  /** The token's known expiry (unix ms, 0 = never), for the expiry metric. */
  onTokenExpiry?: (expiresAtMs: number) => void;
}

const UPLOAD_MIME: Record<string, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg',
  document: 'application/octet-stream',
  sticker: 'image/webp',
};

const TOKEN_REFUSED =
  'Graph refused the access token (code 190): replace it with PATCH /v1/sessions/<id>/cloud';

/**
 * A Cloud API session: no socket, "open" as long as its token works. Sends go through Graph; a
 * refused token (190) moves it to `token_invalid`, which pauses its queue until the token is
 * replaced. A keeper checks the token periodically and refreshes user tokens before they expire.
 */
export class CloudSessionRunner extends EventEmitter<CloudSessionEvents> {
  private current: SessionState = 'stopped';
  private since = Date.now();
  private config: CloudSessionConfig | undefined;
  private client: GraphClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(private readonly o: CloudSessionRunnerOptions) {
    super();
  }

  get sessionId(): string {
    return this.o.sessionId;
  }

  get state(): SessionState {
    return this.current;
  }

  /** Loads the config and opens the session (unless the token is known to be refused). */
  async start(): Promise<void> {
    if (this.current === 'open') return;
    const config = await this.o.store.load(this.o.sessionId);
    if (!config) {
      this.setState('failed', {
        reason: 'no Cloud API config is stored for this session: delete it and create it again',
      });
      return;
    }
    this.useConfig(config);
    const view = await this.o.store.view(this.o.sessionId);
    if (view?.token.isValid === false) {
      this.setState('token_invalid', { code: 190, reason: TOKEN_REFUSED });
    } else {
      this.setState('open', { me: config.phoneNumberId });
    }
    clearInterval(this.timer);
    this.timer = setInterval(() => void this.checkToken(), this.o.tokenCheckIntervalMs);
    this.timer.unref();
    void this.checkToken();
  }

  async stop(reason = 'stopped'): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.checking?.catch(() => undefined);
    if (this.current !== 'stopped') this.setState('stopped', { reason });
  }

  /**
   * A Cloud API number stays registered to the business account: this session only lets go of it
   * (no more Graph calls). It ends in `logged_out`, which is what a delete waits for.
   */
  async logout(): Promise<void> {
    await this.stop('logged out');
    this.setState('logged_out', { reason: 'logged out' });
  }

  requestPairingCode(): Promise<string> {
    return Promise.reject(new Error('Cloud API sessions have no pairing code'));
  }

  /** The lease is gone: stop at once. */
  fenceOut(err: Error): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.current !== 'stopped') this.setState('stopped', { reason: err.message });
  }

  /** An operator stored a new token: use it, and resume sending if the old one was refused. */
  async tokenReplaced(): Promise<void> {
    const config = await this.o.store.load(this.o.sessionId);
    if (!config) return;
    const newToken = config.accessToken !== this.config?.accessToken;
    this.useConfig(config);
    // Another config change (version, base URL) does not make a refused token good again.
    if (this.current === 'token_invalid' && newToken) {
      this.setState('open', { me: config.phoneNumberId });
    }
    void this.checkToken();
  }

  /** Sends one job through Graph; idempotent per message id (a recorded wamid is not sent again). */
  async send(job: SendJob, signal: AbortSignal): Promise<SendResult> {
    const { store, sessionId } = this.o;
    const already = await store.sentWamid(sessionId, job.messageId);
    if (already)
      return { messageId: job.messageId, sentAt: Date.now(), providerMessageId: already };
    const config = this.config;
    const client = this.client;
    if (this.current === 'token_invalid') throw new SendError('token_invalid', TOKEN_REFUSED);
    if (this.current !== 'open' || !config || !client) {
      throw new SendError('socket_closed', 'the Cloud API session is not open');
    }
    try {
      const content = await this.resolveRefs(job.content);
      let media: { id: string } | undefined;
      if ('base64' in content && content.base64 !== undefined) {
        const id = await client.uploadMedia(
          config.accessToken,
          config.phoneNumberId,
          {
            bytes: Buffer.from(content.base64, 'base64'),
            mimetype: content.mimetype ?? UPLOAD_MIME[content.type] ?? 'application/octet-stream',
            ...('fileName' in content ? { fileName: content.fileName } : {}),
          },
          signal,
        );
        media = { id };
      }
      const body = buildGraphMessage({ to: job.to, content }, media);
      const { wamid } = await client.sendMessage(
        config.accessToken,
        config.phoneNumberId,
        body,
        signal,
      );
      await store.rememberSent(sessionId, job.messageId, wamid);
      return { messageId: job.messageId, sentAt: Date.now(), providerMessageId: wamid };
    } catch (err) {
      if (err instanceof GraphApiError && (err.graphCode === 190 || err.httpStatus === 401)) {
        this.tokenRefused(err.message);
      }
      throw err;
    }
  }

  /** Replies and reactions to our own messages name them by job message id; Graph wants the wamid. */
  private async resolveRefs(content: SendContent): Promise<SendContent> {
    const lookup = async (ref: string | undefined) =>
      ref && MESSAGE_ID_PATTERN.test(ref)
        ? ((await this.o.store.sentWamid(this.o.sessionId, ref)) ?? ref)
        : ref;
    if (content.type === 'reaction') {
      return { ...content, targetMessageId: (await lookup(content.targetMessageId)) ?? '' };
    }
    if ('replyTo' in content && content.replyTo) {
      return { ...content, replyTo: await lookup(content.replyTo) };
    }
    return content;
  }

  private tokenRefused(detail: string): void {
    if (this.current !== 'open') return;
    this.o.logger.warn({ sessionId: this.o.sessionId }, 'Cloud API token refused; sends paused');
    void this.o.store
      .recordTokenCheck(this.o.sessionId, {
        isValid: false,
        expiresAt: this.config?.tokenExpiresAt ?? 0,
        checkedAt: Date.now(),
        error: detail,
      })
      .catch(() => undefined);
    this.setState('token_invalid', { code: 190, reason: TOKEN_REFUSED });
    this.o.onTokenEvent('session.token_invalid', { reason: detail });
  }

  private useConfig(config: CloudSessionConfig): void {
    this.config = config;
    this.client = new GraphClient({
      baseUrl: config.baseUrl,
      version: config.graphVersion,
      ...(this.o.onCall ? { onCall: this.o.onCall } : {}),
    });
    this.o.onTokenExpiry?.(config.tokenExpiresAt ?? 0);
  }

  /** One token check (and refresh when due); never two at once, never while refused. */
  private checkToken(): Promise<void> {
    if (this.checking || this.current !== 'open' || !this.client) {
      return this.checking ?? Promise.resolve();
    }
    const client = this.client;
    // Events wait until a refreshed token is in use, so a reader of `session.token_refreshed` can
    // rely on the next send carrying the new token.
    const pending: { type: string; data: Record<string, unknown> }[] = [];
    const keeper = new CloudTokenKeeper({
      store: this.o.store,
      client,
      sessionId: this.o.sessionId,
      refreshAheadMs: this.o.refreshAheadMs,
      warnAheadMs: this.o.warnAheadMs,
      onEvent: (e) => {
        if (e.type === 'token.invalid') {
          this.tokenRefused(
            e.data.reason === 'expired'
              ? 'the access token expired'
              : 'debug_token says the access token is not valid',
          );
          return;
        }
        if (e.type !== 'token.checked') {
          pending.push({ type: `session.${e.type.replace('.', '_')}`, data: e.data });
        }
        if (typeof e.data.expiresAt === 'number') this.o.onTokenExpiry?.(e.data.expiresAt);
      },
    });
    this.checking = keeper
      .runOnce()
      .then(async () => {
        const config = await this.o.store.load(this.o.sessionId);
        if (config && this.current === 'open') this.useConfig(config);
      })
      .finally(() => {
        for (const e of pending) this.o.onTokenEvent(e.type, e.data);
      })
      .catch((err: unknown) =>
        this.o.logger.warn(
          { sessionId: this.o.sessionId, err: { message: (err as Error).message } },
          'Cloud API token check failed',
        ),
      )
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }

  private setState(
    state: SessionState,
    extra: { reason?: string; code?: number; me?: string } = {},
  ) {
    const previous = this.current;
    this.current = state;
    this.since = Date.now();
    this.emit('status', {
      sessionId: this.o.sessionId,
      state,
      previous,
      since: this.since,
      ...extra,
    });
  }
}

/** The send transport of a Cloud API session. */
export class CloudSendTransport implements SendTransport {
  constructor(private readonly runner: CloudSessionRunner) {}

  isOpen(): boolean {
    return this.runner.state === 'open';
  }

  onOpenChange(listener: (open: boolean) => void): () => void {
    return watchOpen(this.runner, () => this.isOpen(), listener);
  }

  send(job: SendJob, context: SendContext): Promise<SendResult> {
    return this.runner.send(job, context.signal);
  }
}
