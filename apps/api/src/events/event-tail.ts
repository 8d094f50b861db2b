import type { Logger } from '@wafleet/core';
import {
  readSessionEvents,
  type Keys,
  type RedisClient,
  type SessionEventEntry,
} from '@wafleet/redis';
import { compareStreamIds } from './stream-id.js';

/** A live view of the event stream for one consumer (an SSE client, a waiting request). */
export interface EventFollower {
  close(): void;
}

const PAGE = 500;

/**
 * One blocking reader of the session event stream per api process, fanned out in memory: a
 * thousand open SSE clients cost one Redis connection, not a thousand. Followers that start from
 * a cursor first read the backlog with plain (non-blocking) reads, then switch to the live feed
 * without a gap or a duplicate.
 */
export class EventTail {
  private readonly listeners = new Set<(entry: SessionEventEntry) => void>();
  private lastId = '0-0';
  private started = false;
  private stopped = false;
  private loopDone: Promise<void> | undefined;

  constructor(
    private readonly o: {
      /** Command connection for backlog reads. */
      reader: RedisClient;
      /** Dedicated connection for the blocking XREAD (closed by `stop`). */
      blocking: RedisClient;
      keys: Keys;
      logger: Logger;
      blockMs?: number;
    },
  ) {}

  /**
   * Starts following from the current end of the stream. Returns at once: while Redis is
   * unreachable the reader keeps trying (and readiness says so) instead of failing the process.
   */
  start(): void {
    this.loopDone ??= this.loop();
  }

  /** True while the blocking reader runs. */
  get running(): boolean {
    return this.started && !this.stopped;
  }

  /** The id of the newest entry now (`0-0` when the stream is empty): "from now on" as a cursor. */
  async streamEnd(): Promise<string> {
    const newest = (await this.o.reader.xrevrange(this.o.keys.events(), '+', '-', 'COUNT', 1)) as [
      string,
      string[],
    ][];
    return newest[0]?.[0] ?? '0-0';
  }

  /**
   * Calls `onEvent` for every entry after `cursor` (exclusive) in stream order, then for every new
   * one, until `close()`. Without a cursor only entries published from now on are delivered.
   */
  follow(options: {
    cursor?: string;
    onEvent: (entry: SessionEventEntry) => void;
    onError?: (err: unknown) => void;
  }): EventFollower {
    let closed = false;
    let catchingUp = options.cursor !== undefined;
    let last = options.cursor;
    const queued: SessionEventEntry[] = [];
    const deliver = (entry: SessionEventEntry) => {
      if (closed) return;
      if (last !== undefined && compareStreamIds(entry.id, last) <= 0) return;
      last = entry.id;
      options.onEvent(entry);
    };
    const listener = (entry: SessionEventEntry) => {
      if (catchingUp) queued.push(entry);
      else deliver(entry);
    };
    this.listeners.add(listener);
    if (catchingUp) {
      void (async () => {
        try {
          for (;;) {
            const page = await readSessionEvents(this.o.reader, this.o.keys, {
              cursor: last ?? '0-0',
              count: PAGE,
            });
            for (const entry of page) deliver(entry);
            if (closed || page.length < PAGE) break;
          }
        } catch (err) {
          if (!closed) options.onError?.(err);
        } finally {
          catchingUp = false;
          for (const entry of queued.splice(0)) deliver(entry);
        }
      })();
    }
    return {
      close: () => {
        closed = true;
        this.listeners.delete(listener);
      },
    };
  }

  /** Stops the reader (its connection is closed, which ends a pending blocking read at once). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.listeners.clear();
    this.o.blocking.disconnect();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    while (!this.stopped && !this.started) {
      try {
        this.lastId = await this.streamEnd();
        this.started = true;
      } catch (err) {
        this.o.logger.warn({ err }, 'event stream not readable yet; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    while (!this.stopped) {
      try {
        const entries = await readSessionEvents(this.o.blocking, this.o.keys, {
          cursor: this.lastId,
          count: PAGE,
          blockMs: this.o.blockMs ?? 5000,
        });
        for (const entry of entries) {
          this.lastId = entry.id;
          for (const listener of [...this.listeners]) {
            try {
              listener(entry);
            } catch (err) {
              this.o.logger.warn({ err }, 'event listener failed');
            }
          }
        }
      } catch (err) {
        if (this.stopped) break;
        this.o.logger.warn({ err }, 'event stream read failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
