import { EventEmitter } from 'node:events';
import type { Agent as HttpsAgent } from 'node:https';
import {
  Browsers,
  makeWASocket,
  type AnyMessageContent,
  type AuthenticationState,
  type BinaryNode,
  type WAMessage,
  type WASocket,
} from '@whiskeysockets/baileys';
import type { Logger } from '@wafleet/core';
import { sessionErrors } from './errors.js';
import { makeIsolatedSignalRepository } from './isolated-signal-repository.js';
import {
  DEFAULT_RECONNECT_POLICY,
  decideReconnect,
  type DisconnectCause,
  type ReconnectAction,
  type ReconnectPolicyOptions,
} from './reconnect-policy.js';
import { installStrictSignatureCheck } from './server-trust.js';
import { SeenIds } from './seen-ids.js';
import { TERMINAL_STATES, type SessionState } from './session-state.js';

/** A session's auth state as the runner needs it (an auth-store backend bound to one session and fence). */
export interface SessionAuth {
  state: AuthenticationState;
  saveCreds(): Promise<void>;
  wipe(): Promise<void>;
}

/** Socket settings; defaults suit production, tests lower the timeouts. */
export interface SessionSocketOptions {
  /** Where to connect; WhatsApp by default. wa-sim's URL in dev/test (trust its root separately). */
  waWebSocketUrl?: string;
  connectTimeoutMs?: number;
  keepAliveIntervalMs?: number;
  defaultQueryTimeoutMs?: number;
  qrTimeoutMs?: number;
  browser?: [string, string, string];
  /** Agent for media uploads/downloads (wa-sim's media host uses its own CA). */
  fetchAgent?: HttpsAgent;
}

export interface SessionRunnerOptions {
  sessionId: string;
  /** Opens the auth state (called before every socket, so a rotated key or new fence is picked up). */
  openAuth: () => Promise<SessionAuth>;
  logger: Logger;
  socket?: SessionSocketOptions;
  policy?: Partial<ReconnectPolicyOptions>;
  /** The runner's own deadline from socket creation to QR or open; Baileys can hang in `connecting`. */
  connectDeadlineMs?: number;
  /** How long `requestPairingCode` waits for the server to accept the request. */
  pairingRequestTimeoutMs?: number;
  /** How many inbound message ids to remember for de-duplication. */
  seenIdsCapacity?: number;
  random?: () => number;
}

/** A status change. */
export interface SessionStatusEvent {
  sessionId: string;
  state: SessionState;
  previous: SessionState;
  since: number;
  reason?: string;
  code?: number;
  /** The linked account once known, e.g. `15550001111:3@s.whatsapp.net`. */
  me?: string;
}

/** Delivery progress of a message this session sent. */
export type ReceiptStatus = 'server_ack' | 'delivered' | 'read' | 'played' | 'error';

export interface SessionEvents {
  status: [SessionStatusEvent];
  qr: [{ sessionId: string; qr: string; generation: number }];
  pairing_code: [{ sessionId: string; code: string }];
  message: [{ sessionId: string; message: WAMessage; upsertType: 'notify' | 'append' }];
  receipt: [
    {
      sessionId: string;
      messageId: string;
      remoteJid: string;
      status: ReceiptStatus;
      error?: string;
    },
  ];
  /** The auth store refused a write: a newer owner exists. The runner has already stopped. */
  fenced_out: [{ sessionId: string; error: Error }];
}

const RECEIPT_BY_STATUS: Record<number, ReceiptStatus | undefined> = {
  0: 'error',
  2: 'server_ack',
  3: 'delivered',
  4: 'read',
  5: 'played',
};

type BaileysError = Error & { output?: { statusCode?: number }; data?: unknown };

/** How long a stop, or a socket closing, waits for inbound messages already read to be handled. */
const INBOUND_FINISH_MS = 2_000;

/**
 * Message stanzas a socket read and Baileys has not emitted yet. Baileys commits the decrypted
 * Signal state before it sends the receipt and emits the message, and WhatsApp's redelivered copy
 * can no longer be decrypted: a socket closed in between must not take the message with it. A
 * stop waits for these before it closes the socket, so their receipts still go out; a close by the
 * server waits for them in Baileys' end handlers.
 */
class InboundInFlight {
  /** Stanza ids read and not handled yet, oldest first (Baileys handles them one at a time, in order). */
  private readonly ids = new Set<string>();
  private readonly waiters = new Set<() => void>();
  /**
   * Set once nothing the socket decrypts could be emitted any more: from then on decrypts wait for
   * the socket to close and fail, so no Signal state advances for a message nobody sees, and
   * WhatsApp's copy stays decryptable by the next socket.
   */
  sealed = false;
  private markClosed!: () => void;
  /** Resolves once the socket is closed; sealed decrypts fail only then, so no nack reaches WhatsApp. */
  readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  read(id: string | undefined): void {
    if (id) this.ids.add(id);
  }

  /** `id` was emitted: it and everything read before it are done (some end without an event). */
  handled(id: string | null | undefined): void {
    if (!id || !this.ids.has(id)) return;
    for (const earlier of this.ids) {
      this.ids.delete(earlier);
      if (earlier === id) break;
    }
    if (this.ids.size === 0) this.wake();
  }

  /** Resolves once every stanza read so far was handled, or after `ms`. */
  async settle(ms: number): Promise<void> {
    if (this.ids.size === 0) return;
    let wake!: () => void;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const timer = setTimeout(wake, ms);
    this.waiters.add(wake);
    try {
      await woken;
    } finally {
      clearTimeout(timer);
      this.waiters.delete(wake);
    }
  }

  /** No new decrypts; only the stanza being handled right now (the oldest) is still waited for. */
  seal(): void {
    this.sealed = true;
    const [current] = this.ids;
    this.ids.clear();
    if (current) this.ids.add(current);
    else this.wake();
  }

  /** A decrypt hit the seal: the stanza being handled is that one, and it will not be emitted. */
  blocked(): void {
    this.ids.clear();
    this.wake();
  }

  /** Called from the socket's end handlers, when the WebSocket is already closed. */
  socketClosed(): void {
    if (!this.sealed) this.seal();
    this.markClosed();
  }

  private wake(): void {
    for (const wake of this.waiters) wake();
  }
}

/** Baileys wants a logger with `level` and the pino methods; ours is pino, bound to the session. */
type BaileysLogger = Parameters<typeof makeWASocket>[0]['logger'];

/**
 * One session's life: creates Baileys sockets (single use, each with a generation number), applies
 * the reconnect policy on every close, persists creds, and turns Baileys events into a small typed
 * event set. Knows nothing about clusters: the worker decides when to start and stop it.
 */
export class SessionRunner extends EventEmitter<SessionEvents> {
  readonly sessionId: string;
  private readonly opts: SessionRunnerOptions;
  private readonly policy: ReconnectPolicyOptions;
  private readonly log: Logger;
  private current: SessionState = 'stopped';
  private since = Date.now();
  private generation = 0;
  private sock: WASocket | undefined;
  private inbound = new InboundInFlight();
  private detach: (() => void) | undefined;
  private auth: SessionAuth | undefined;
  private credsChain: Promise<void> = Promise.resolve();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private conflicts: number[] = [];
  private openedAt: number | undefined;
  private stopping = false;
  private fenced = false;
  private readonly seen: SeenIds;
  private readonly sentIds: SeenIds;
  private lastReason: string | undefined;
  private lastCode: number | undefined;
  /** Set when the server refused a pairing-code request: the half-made login must not linger. */
  private pairingRejected: string | undefined;

  constructor(options: SessionRunnerOptions) {
    super();
    installStrictSignatureCheck();
    this.opts = options;
    this.sessionId = options.sessionId;
    this.policy = { ...DEFAULT_RECONNECT_POLICY, ...options.policy };
    this.log = options.logger.child({ sessionId: options.sessionId });
    this.seen = new SeenIds(options.seenIdsCapacity ?? 10_000);
    this.sentIds = new SeenIds(options.seenIdsCapacity ?? 10_000);
  }

  /** Current state. */
  get state(): SessionState {
    return this.current;
  }

  /** The socket generation: increases with every new socket. */
  get socketGeneration(): number {
    return this.generation;
  }

  /** The linked account's jid once paired. */
  get me(): string | undefined {
    return this.auth?.state.creds.me?.id;
  }

  /** Snapshot for status records. */
  get status(): {
    state: SessionState;
    since: number;
    reason?: string;
    code?: number;
    me?: string;
  } {
    return {
      state: this.current,
      since: this.since,
      ...(this.lastReason ? { reason: this.lastReason } : {}),
      ...(this.lastCode !== undefined ? { code: this.lastCode } : {}),
      ...(this.me ? { me: this.me } : {}),
    };
  }

  /** The live Baileys socket, for diagnostics and tests. */
  get socket(): WASocket | undefined {
    return this.sock;
  }

  /** Starts (or restarts from a terminal state) the session. */
  async start(): Promise<void> {
    if (this.sock || this.reconnectTimer) return;
    this.stopping = false;
    this.fenced = false;
    this.failures = 0;
    this.conflicts = [];
    await this.connect();
  }

  /** Closes the socket without logging out; auth state stays, so the next start logs in again. */
  async stop(reason = 'stopped'): Promise<void> {
    this.stopping = true;
    this.clearTimers();
    const sock = this.sock;
    if (sock) {
      // Read nothing more (WhatsApp keeps what was never receipted for the next owner), and let
      // what was already read finish, its receipt included, before the socket closes. What is
      // still waiting after that is not decrypted at all: the next socket gets it.
      sock.ws.removeAllListeners('message');
      await this.inbound.settle(INBOUND_FINISH_MS);
      this.inbound.seal();
      // Listeners stay until the socket ended: a decrypt that was already running is emitted.
      await sock.end(undefined);
    }
    this.release();
    await this.credsChain.catch(() => undefined);
    this.setState('stopped', { reason });
  }

  /** Logs the device out (the phone sees it unlinked), wipes auth state and ends in `logged_out`. */
  async logout(): Promise<void> {
    this.clearTimers();
    const sock = this.sock;
    if (sock && this.current === 'open') {
      this.stopping = true;
      this.release();
      try {
        await sock.logout('logged out by wafleet');
      } catch (err) {
        this.log.warn({ err }, 'logout request failed; wiping local auth anyway');
        await sock.end(undefined);
      }
    } else if (sock) {
      this.stopping = true;
      this.release();
      await sock.end(undefined);
    }
    await this.credsChain.catch(() => undefined);
    const auth = this.auth ?? (await this.opts.openAuth());
    await auth.wipe();
    this.auth = undefined;
    this.setState('logged_out', { reason: 'logged out by request', code: 401 });
  }

  /**
   * Sends a message. `messageId` fixes the WhatsApp message id (derived from the job), so a retry
   * re-sends the same id and the recipient sees one message.
   */
  async sendMessage(
    jid: string,
    content: AnyMessageContent,
    options: { messageId?: string; quoted?: WAMessage } = {},
  ): Promise<{ messageId: string; sentAt: number }> {
    const sock = this.sock;
    if (!sock || this.current !== 'open') {
      throw sessionErrors.create('SESSION_NOT_OPEN', {
        sessionId: this.sessionId,
        state: this.current,
      });
    }
    if (options.messageId) this.sentIds.add(options.messageId);
    const sent = await sock.sendMessage(
      jid,
      content,
      options.messageId ? { messageId: options.messageId } : {},
    );
    const messageId = sent?.key.id ?? options.messageId;
    if (!messageId)
      throw sessionErrors.create('SEND_FAILED', {
        sessionId: this.sessionId,
        reason: 'no message id',
      });
    this.sentIds.add(messageId);
    return { messageId, sentAt: Date.now() };
  }

  /**
   * Requests a pairing code for `phone` (digits only, with country code). Resolves with the code only
   * after the server accepted the request; a rejection rejects.
   */
  async requestPairingCode(phone: string): Promise<string> {
    const digits = phone.replace(/[^\d]/g, '');
    if (!/^\d{8,15}$/.test(digits)) {
      throw sessionErrors.create('BAD_PHONE', {
        phone: '(redacted)',
        rule: '8-15 digits with country code',
      });
    }
    const sock = this.sock;
    if (
      !sock ||
      (this.current !== 'qr' && this.current !== 'pairing_code' && this.current !== 'connecting')
    ) {
      throw sessionErrors.create('PAIRING_NOT_POSSIBLE', {
        sessionId: this.sessionId,
        state: this.current,
      });
    }
    if (this.auth?.state.creds.registered) {
      throw sessionErrors.create('PAIRING_NOT_POSSIBLE', {
        sessionId: this.sessionId,
        state: 'already paired',
      });
    }
    const timeoutMs = this.opts.pairingRequestTimeoutMs ?? 15_000;
    // Baileys writes the request without waiting for the server's answer; watch the answer here.
    const answer = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(
          sessionErrors.create('PAIRING_REJECTED', {
            sessionId: this.sessionId,
            reason: `no answer within ${timeoutMs} ms`,
          }),
        );
      }, timeoutMs);
      const onFrame = (node: BinaryNode) => {
        if (node.tag !== 'iq') return;
        const children = Array.isArray(node.content) ? node.content : [];
        const isPairing = children.some((c) => c.tag === 'link_code_companion_reg');
        if (node.attrs.type === 'result' && isPairing) {
          cleanup();
          resolve();
        } else if (node.attrs.type === 'error') {
          const err = children.find((c) => c.tag === 'error');
          cleanup();
          reject(
            sessionErrors.create('PAIRING_REJECTED', {
              sessionId: this.sessionId,
              reason: `${err?.attrs.code ?? '?'} ${err?.attrs.text ?? 'rejected'}`.trim(),
            }),
          );
        }
      };
      const cleanup = () => {
        clearTimeout(timer);
        sock.ws.off('frame', onFrame);
      };
      sock.ws.on('frame', onFrame);
    });
    const code = await sock.requestPairingCode(digits);
    try {
      await answer;
    } catch (err) {
      this.pairingRejected = (err as Error).message;
      throw err;
    }
    this.setState('pairing_code');
    this.emit('pairing_code', { sessionId: this.sessionId, code });
    return code;
  }

  private clearTimers(): void {
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.deadlineTimer);
    this.reconnectTimer = undefined;
    this.deadlineTimer = undefined;
  }

  /** Drops every listener of the current socket; events of older generations are ignored anyway. */
  private release(): void {
    this.detach?.();
    this.detach = undefined;
    this.sock = undefined;
    clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
  }

  private setState(state: SessionState, extra: { reason?: string; code?: number } = {}): void {
    if (state === this.current && !extra.reason) return;
    const previous = this.current;
    this.current = state;
    this.since = Date.now();
    this.lastReason = extra.reason;
    if (extra.code !== undefined) this.lastCode = extra.code;
    const event: SessionStatusEvent = {
      sessionId: this.sessionId,
      state,
      previous,
      since: this.since,
      ...extra,
      ...(this.me ? { me: this.me } : {}),
    };
    this.log.info({ state, previous, reason: extra.reason, code: extra.code }, 'session state');
    this.emit('status', event);
  }

  private async connect(): Promise<void> {
    this.reconnectTimer = undefined;
    if (this.stopping) return;
    if (this.current !== 'reconnecting') this.setState('connecting');
    try {
      this.auth = await this.opts.openAuth();
    } catch (err) {
      this.handleAuthFailure(err);
      return;
    }
    if (this.stopping) return;
    const gen = ++this.generation;
    const auth = this.auth;
    const s = this.opts.socket ?? {};
    const inbound = (this.inbound = new InboundInFlight());
    const sock = makeWASocket({
      auth: auth.state,
      logger: this.log.child(
        { gen, lib: 'baileys' },
        {
          // Baileys is chatty: only its errors, unless we are debugging (or silent).
          level: ['trace', 'debug', 'silent'].includes(this.log.level) ? this.log.level : 'error',
        },
      ) as unknown as BaileysLogger,
      browser: s.browser ?? Browsers.ubuntu('Chrome'),
      ...(s.waWebSocketUrl ? { waWebSocketUrl: s.waWebSocketUrl } : {}),
      connectTimeoutMs: s.connectTimeoutMs ?? 20_000,
      keepAliveIntervalMs: s.keepAliveIntervalMs ?? 30_000,
      defaultQueryTimeoutMs: s.defaultQueryTimeoutMs ?? 60_000,
      ...(s.qrTimeoutMs ? { qrTimeout: s.qrTimeoutMs } : {}),
      ...(s.fetchAgent ? { fetchAgent: s.fetchAgent } : {}),
      markOnlineOnConnect: false,
      emitOwnEvents: false,
      syncFullHistory: false,
      shouldSyncHistoryMessage: () => false,
      generateHighQualityLinkPreview: false,
      // Many sockets share this process; see the module for the libsignal queue hazard it avoids.
      makeSignalRepository: (auth, logger, pnToLID) => {
        const repository = makeIsolatedSignalRepository(auth, logger, pnToLID);
        return {
          ...repository,
          decryptMessage: (opts) => {
            if (!inbound.sealed) return repository.decryptMessage(opts);
            inbound.blocked();
            return inbound.closed.then(() => {
              throw new Error('socket stopped: left undecrypted for the next socket');
            });
          },
        };
      },
    });
    this.sock = sock;
    this.armDeadline(gen, sock);
    const ev = sock.ev;
    const onConnection = (
      update: Parameters<Parameters<typeof ev.on<'connection.update'>>[1]>[0],
    ) => {
      if (gen !== this.generation) return;
      if (update.qr) {
        clearTimeout(this.deadlineTimer);
        this.setState('qr');
        this.emit('qr', { sessionId: this.sessionId, qr: update.qr, generation: gen });
      }
      if (update.connection === 'open') {
        clearTimeout(this.deadlineTimer);
        this.openedAt = Date.now();
        this.setState('open');
      }
      if (update.connection === 'close') {
        const error = update.lastDisconnect?.error as BaileysError | undefined;
        void this.onClose(gen, { code: error?.output?.statusCode, message: error?.message ?? '' });
      }
    };
    const onCreds = () => {
      if (gen !== this.generation) return;
      this.credsChain = this.credsChain
        .then(() => auth.saveCreds())
        .catch((err: unknown) => this.onWriteFailure(err));
    };
    const onUpsert = ({ messages, type }: { messages: WAMessage[]; type: 'notify' | 'append' }) => {
      if (gen !== this.generation) return;
      for (const message of messages) {
        const id = message.key.id;
        inbound.handled(id);
        if (!id || !message.message) continue;
        if (message.key.fromMe && this.sentIds.has(id)) continue;
        if (!this.seen.add(`${message.key.remoteJid ?? ''}/${id}`)) continue;
        this.emit('message', { sessionId: this.sessionId, message, upsertType: type });
      }
    };
    const onUpdate = (updates: { key: WAMessage['key']; update: Partial<WAMessage> }[]) => {
      if (gen !== this.generation) return;
      for (const { key, update } of updates) {
        const status =
          typeof update.status === 'number' ? RECEIPT_BY_STATUS[update.status] : undefined;
        if (!status || !key.id || !key.fromMe) continue;
        const stub = (update.messageStubParameters as unknown[] | null | undefined)?.[0];
        const error =
          status === 'error' && stub !== undefined
            ? JSON.stringify(stub).replace(/^"|"$/g, '')
            : undefined;
        this.emit('receipt', {
          sessionId: this.sessionId,
          messageId: key.id,
          remoteJid: key.remoteJid ?? '',
          status,
          ...(error ? { error } : {}),
        });
      }
    };
    // Server acks are not surfaced by Baileys unless they carry an error; senders need them to
    // detect a send that never got acknowledged.
    const onFrame = (node: BinaryNode) => {
      if (gen !== this.generation || node.tag !== 'ack' || node.attrs.class !== 'message') return;
      const id = node.attrs.id;
      if (!id || node.attrs.error) return;
      this.emit('receipt', {
        sessionId: this.sessionId,
        messageId: id,
        remoteJid: node.attrs.from ?? '',
        status: 'server_ack',
      });
    };
    ev.on('connection.update', onConnection);
    ev.on('creds.update', onCreds);
    ev.on('messages.upsert', onUpsert);
    ev.on('messages.update', onUpdate);
    sock.ws.on('frame', onFrame);
    const onMessageNode = (node: BinaryNode) => inbound.read(node.attrs.id);
    sock.ws.on('CB:message', onMessageNode);
    // When the server closes the socket, Baileys stops reading and runs its end handlers before it
    // drops every listener: messages already read get their chance to be emitted (the patched
    // Baileys emits one even when its receipt can no longer be sent).
    sock.registerSocketEndHandler(async () => {
      await inbound.settle(INBOUND_FINISH_MS);
      inbound.socketClosed();
    });
    this.detach = () => {
      ev.off('connection.update', onConnection);
      ev.off('creds.update', onCreds);
      ev.off('messages.upsert', onUpsert);
      ev.off('messages.update', onUpdate);
      sock.ws.off('frame', onFrame);
      sock.ws.off('CB:message', onMessageNode);
    };
  }

  private armDeadline(gen: number, sock: WASocket): void {
    clearTimeout(this.deadlineTimer);
    const ms = this.opts.connectDeadlineMs ?? 45_000;
    this.deadlineTimer = setTimeout(() => {
      if (gen !== this.generation || this.sock !== sock) return;
      this.log.warn({ ms }, 'connect deadline passed; ending the socket');
      const err = Object.assign(new Error('connect deadline exceeded'), {
        output: { statusCode: 408 },
      });
      void sock.end(err);
    }, ms);
  }

  private async onClose(gen: number, cause: DisconnectCause): Promise<void> {
    if (gen !== this.generation) return;
    this.release();
    if (this.stopping || this.fenced) return;
    if (this.pairingRejected) {
      // requestPairingCode already put a phone number into creds.me; a reconnect would try to log in
      // as that half-linked device. Start over from a clean state and wait for the operator.
      const reason = this.pairingRejected;
      this.pairingRejected = undefined;
      await this.credsChain.catch(() => undefined);
      try {
        await (this.auth ?? (await this.opts.openAuth())).wipe();
      } catch (err) {
        this.onWriteFailure(err);
        return;
      }
      this.auth = undefined;
      this.setState('needs_pairing', {
        reason,
        ...(cause.code !== undefined ? { code: cause.code } : {}),
      });
      return;
    }
    const now = Date.now();
    if (this.openedAt !== undefined && now - this.openedAt >= this.policy.stableOpenMs)
      this.failures = 0;
    this.openedAt = undefined;
    if (cause.code === 440)
      this.conflicts = [
        ...this.conflicts.filter((t) => t >= now - this.policy.conflictWindowMs),
        now,
      ];
    const action: ReconnectAction = decideReconnect(
      cause,
      { failuresSinceStableOpen: this.failures, recentConflicts: this.conflicts, now },
      this.policy,
      this.opts.random,
    );
    this.failures++;
    this.log.info({ code: cause.code, message: cause.message, action }, 'socket closed');
    if (action.type === 'stop') {
      if (action.wipeAuth) {
        await this.credsChain.catch(() => undefined);
        try {
          await (this.auth ?? (await this.opts.openAuth())).wipe();
        } catch (err) {
          this.onWriteFailure(err);
          return;
        }
        this.auth = undefined;
      }
      this.setState(action.state, {
        reason: action.reason,
        ...(cause.code !== undefined ? { code: cause.code } : {}),
      });
      return;
    }
    this.setState('reconnecting', {
      reason: action.reason,
      ...(cause.code !== undefined ? { code: cause.code } : {}),
    });
    if (action.afterCredsCommitted) await this.credsChain.catch(() => undefined);
    if (this.stopping || this.fenced || gen !== this.generation || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => void this.connect(), action.delayMs);
  }

  private handleAuthFailure(err: unknown): void {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('AUTH_')) {
      this.setState('auth_error', { reason: (err as Error).message });
      return;
    }
    if (code === 'FENCED_OUT') {
      this.onWriteFailure(err);
      return;
    }
    this.log.warn({ err }, 'could not open auth state; retrying');
    const delay = Math.min(30_000, 500 * 2 ** Math.min(this.failures++, 6));
    this.setState('reconnecting', { reason: `auth state unavailable: ${(err as Error).message}` });
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  /**
   * Stops the session at once because another owner took over: the lease was lost, or the auth
   * store refused a write with a newer fence. Closes the socket without logging out.
   */
  fenceOut(err: Error): void {
    this.onWriteFailure(Object.assign(err, { code: 'FENCED_OUT' }));
  }

  /** A refused (fenced) write stops the session at once; other write failures are logged. */
  private onWriteFailure(err: unknown): void {
    if ((err as { code?: unknown }).code !== 'FENCED_OUT') {
      this.log.error({ err }, 'auth state write failed');
      return;
    }
    if (this.fenced) return;
    this.fenced = true;
    this.clearTimers();
    const sock = this.sock;
    this.release();
    if (sock) void sock.end(undefined);
    this.setState('stopped', { reason: 'fenced out: another worker owns this session now' });
    this.emit('fenced_out', { sessionId: this.sessionId, error: err as Error });
  }
}

export { TERMINAL_STATES };
