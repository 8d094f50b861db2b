import { Cluster } from 'ioredis';
import type { AuthStateStore } from '@wafleet/auth-store';
import { newId, type Logger } from '@wafleet/core';
import type {
  Keys,
  RedisClient,
  SessionEventEntry,
  SessionRecord,
  SessionRecords,
} from '@wafleet/redis';
import { apiErrors } from '../errors.js';
import type { EventTail } from '../events/event-tail.js';
import { parseStreamEntry, type RawStreamEntry } from '../events/stream-entry.js';

/** Commands the api publishes on the owning worker's channel (apps/worker parses the same shape). */
export type WorkerCommand =
  | { type: 'logout'; sessionId: string }
  | { type: 'restart'; sessionId: string }
  | { type: 'reload_settings'; sessionId: string }
  | { type: 'pairing_code'; sessionId: string; phone: string; requestId: string };

/** A wait for one event that can be called off. */
interface EventWait {
  promise: Promise<SessionEventEntry | undefined>;
  cancel(): void;
}

/** Options of {@link SessionControl}. */
export interface SessionControlOptions {
  redis: RedisClient;
  keys: Keys;
  records: SessionRecords;
  tail: EventTail;
  authStore: AuthStateStore;
  logger: Logger;
  /** How long `POST …/pairing-code` waits for the worker's answer. */
  pairingTimeoutMs?: number;
  /** How long a delete waits for the owner to confirm the logout before wiping by itself. */
  logoutWaitMs?: number;
  /** How long concurrent restarts of one session coalesce into one command. */
  restartCoalesceMs?: number;
}

const QR_LOOKBACK_MS = 60_000;
const QR_PAGES = 20;
const QR_PAGE = 200;

/**
 * What the api asks of the cluster for one session: commands to the worker that holds it (found
 * by its lease, the only truth about who has the socket), waits on the event stream for their
 * outcome, the latest QR, and deletion with logout and wipe.
 */
export class SessionControl {
  constructor(private readonly o: SessionControlOptions) {}

  /** The record, or SESSION_NOT_FOUND. */
  async get(sessionId: string): Promise<SessionRecord> {
    const record = await this.o.records.get(sessionId);
    if (!record) throw apiErrors.create('SESSION_NOT_FOUND', { sessionId });
    return record;
  }

  /** The worker holding the session's lease right now, if any. */
  async holder(sessionId: string): Promise<string | undefined> {
    const lease = await this.o.redis.get(this.o.keys.lease(sessionId));
    if (!lease) return undefined;
    const colon = lease.lastIndexOf(':');
    return colon > 0 ? lease.slice(0, colon) : undefined;
  }

  /** Asks the owner to restart the socket; restarts within a few seconds of each other coalesce. */
  async restart(sessionId: string): Promise<{ coalesced: boolean; worker: string }> {
    const record = await this.get(sessionId);
    const owner = await this.requireHolder(record);
    const took = await this.o.redis.set(
      this.o.keys.restartLock(sessionId),
      owner,
      'PX',
      this.o.restartCoalesceMs ?? 3000,
      'NX',
    );
    if (took !== 'OK') return { coalesced: true, worker: owner };
    await this.publish(owner, { type: 'restart', sessionId });
    return { coalesced: false, worker: owner };
  }

  /**
   * Tells the owner, if any, that the settings changed (the send rate applies at once, without a
   * reconnect). Best effort: an unowned session reads its settings when a worker takes it.
   */
  async settingsChanged(sessionId: string): Promise<void> {
    const owner = await this.holder(sessionId);
    if (!owner) return;
    await this.o.redis.publish(
      this.o.keys.workerChannel(owner),
      JSON.stringify({ type: 'reload_settings', sessionId } satisfies WorkerCommand),
    );
  }

  /**
   * Asks the owner for a pairing code and resolves once the worker reports that WhatsApp accepted
   * the request (the code is useless before that).
   */
  async requestPairingCode(sessionId: string, phoneDigits: string): Promise<{ code: string }> {
    const record = await this.get(sessionId);
    const owner = await this.requireHolder(record);
    const requestId = newId('pair', 9);
    const timeoutMs = this.o.pairingTimeoutMs ?? 20_000;
    const wait = await this.waitFor(
      sessionId,
      (e) =>
        (e.type === 'session.pairing_code' || e.type === 'session.pairing_code_failed') &&
        e.data.requestId === requestId,
      timeoutMs,
    );
    try {
      await this.publish(owner, { type: 'pairing_code', sessionId, phone: phoneDigits, requestId });
    } catch (err) {
      wait.cancel();
      throw err;
    }
    const answer = await wait.promise;
    if (!answer) throw apiErrors.create('PAIRING_TIMEOUT', { sessionId, timeoutMs });
    if (answer.type === 'session.pairing_code_failed') {
      const reason = typeof answer.data.reason === 'string' ? answer.data.reason : 'unknown';
      throw apiErrors.create('PAIRING_FAILED', { sessionId, reason });
    }
    const code = answer.data.code;
    if (typeof code !== 'string') {
      throw apiErrors.create('PAIRING_FAILED', { sessionId, reason: 'the worker sent no code' });
    }
    return { code };
  }

  /**
   * Deletes a session: the owner logs the device out (the phone sees it unlinked) and wipes its
   * auth state; then the record goes (the coordinator unassigns it), and the api wipes whatever
   * is left: auth state (fenced, in case the owner never answered), queue, message records.
   */
  async delete(sessionId: string): Promise<{ loggedOut: boolean }> {
    await this.get(sessionId);
    const log = this.o.logger.child({ sessionId });
    let loggedOut = false;
    const owner = await this.holder(sessionId);
    if (owner) {
      const wait = await this.waitFor(
        sessionId,
        (e) => e.type === 'session.status' && e.data.state === 'logged_out',
        this.o.logoutWaitMs ?? 8000,
      );
      try {
        await this.publish(owner, { type: 'logout', sessionId });
        loggedOut = (await wait.promise) !== undefined;
      } catch (err) {
        wait.cancel();
        log.warn({ err }, 'owner did not take the logout; wiping without it');
      }
      if (!loggedOut) log.warn('no logout confirmation from the owner; wiping auth state directly');
    }
    await this.o.records.delete(sessionId);
    // Also after a confirmed logout: the owner keeps its lease (and its logged-out runner) until
    // the coordinator unassigns the deleted record. A session re-created under the same id before
    // then would find that runner instead of a fresh one.
    if (owner) await this.waitLeaseGone(sessionId, this.o.logoutWaitMs ?? 8000);
    // The stored fence is the newest; wiping with it is refused only if someone took the lease
    // since (which cannot happen for a deleted record, short of a race with a re-create).
    const fence = Number((await this.o.redis.get(this.o.keys.fence(sessionId))) ?? 0);
    await this.o.authStore
      .wipe(sessionId, { fence })
      .catch((err: unknown) => log.warn({ err }, 'auth wipe refused'));
    await this.dropSessionKeys(sessionId);
    log.info({ loggedOut }, 'session deleted');
    return { loggedOut };
  }

  /** The newest QR string the owner published while the session was in state `qr`. */
  async latestQr(record: SessionRecord): Promise<{ qr: string; at: number } | undefined> {
    const from = String(Math.max(0, record.stateSince - QR_LOOKBACK_MS));
    let end = '+';
    for (let page = 0; page < QR_PAGES; page++) {
      const raw = (await this.o.redis.xrevrange(
        this.o.keys.events(),
        end,
        from,
        'COUNT',
        QR_PAGE,
      )) as RawStreamEntry[];
      for (const item of raw) {
        const entry = parseStreamEntry(item);
        if (
          entry.sessionId === record.id &&
          entry.type === 'session.qr' &&
          typeof entry.data.qr === 'string'
        ) {
          return { qr: entry.data.qr, at: entry.at };
        }
      }
      const last = raw.at(-1);
      if (!last || raw.length < QR_PAGE) return undefined;
      end = `(${last[0]}`;
    }
    return undefined;
  }

  /**
   * Starts waiting for the first event of the session that matches, from the current end of the
   * stream on; call before the action whose outcome it waits for, so the answer cannot be missed.
   */
  async waitFor(
    sessionId: string,
    match: (entry: SessionEventEntry) => boolean,
    timeoutMs: number,
  ): Promise<EventWait> {
    const cursor = await this.o.tail.streamEnd();
    let finish: (entry: SessionEventEntry | undefined) => void = () => undefined;
    const promise = new Promise<SessionEventEntry | undefined>((resolve) => {
      finish = resolve;
    });
    const timer = setTimeout(() => done(undefined), timeoutMs);
    const follower = this.o.tail.follow({
      cursor,
      onEvent: (entry) => {
        if (entry.sessionId === sessionId && match(entry)) done(entry);
      },
    });
    function done(entry: SessionEventEntry | undefined) {
      clearTimeout(timer);
      follower.close();
      finish(entry);
    }
    return { promise, cancel: () => done(undefined) };
  }

  private async requireHolder(record: SessionRecord): Promise<string> {
    const owner = await this.holder(record.id);
    if (!owner) {
      throw apiErrors.create('SESSION_NOT_OWNED', {
        sessionId: record.id,
        state: record.state,
        desired: record.desired,
      });
    }
    return owner;
  }

  private async publish(worker: string, command: WorkerCommand): Promise<void> {
    const receivers = await this.o.redis.publish(
      this.o.keys.workerChannel(worker),
      JSON.stringify(command),
    );
    if (receivers === 0) {
      throw apiErrors.create('WORKER_UNREACHABLE', { worker, sessionId: command.sessionId });
    }
  }

  /** True while a worker still holds the lease of `sessionId` (e.g. of a session being deleted). */
  async leaseHeld(sessionId: string): Promise<boolean> {
    return (await this.o.redis.exists(this.o.keys.lease(sessionId))) === 1;
  }

  private async waitLeaseGone(sessionId: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && (await this.leaseHeld(sessionId))) {
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Deletes every key of the session except its lease and fence (fences must never go back). */
  private async dropSessionKeys(sessionId: string): Promise<void> {
    const keep = new Set([this.o.keys.lease(sessionId), this.o.keys.fence(sessionId)]);
    const pattern = this.o.keys.sessionPattern(sessionId);
    const nodes = this.o.redis instanceof Cluster ? this.o.redis.nodes('master') : [this.o.redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        const doomed = found.filter((k) => !keep.has(k));
        // All keys share the session's hash tag (one slot), so a multi-key DEL is Cluster-safe.
        if (doomed.length > 0) await this.o.redis.del(...doomed);
      } while (cursor !== '0');
    }
  }
}
