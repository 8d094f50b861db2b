import { Queue, type ConnectionOptions } from 'bullmq';
import type { Logger } from '@wafleet/core';
import { JOB_NAMES, QUEUE_NAMES, recordMessageStatus, sharedQueueOptions } from '@wafleet/queue';
import type { Keys, RedisClient, SessionEventEntry, SessionRecords } from '@wafleet/redis';
import { readSettings, type StoredSettings } from '../sessions/session-settings.js';
import { parseStreamEntry, type RawStreamEntry } from '../events/stream-entry.js';
import type { WebhookJob } from './webhook-delivery.js';

/** The consumer group of the event stream that feeds webhooks (one per deployment). */
export const WEBHOOK_CONSUMER_GROUP = 'webhooks';

/** The BullMQ job id of an event's delivery: the event id, so an event is enqueued at most once. */
export function webhookJobId(eventId: string): string {
  return `evt.${eventId}`;
}

/** Options of {@link WebhookDispatcher}. */
export interface WebhookDispatcherOptions {
  redis: RedisClient;
  /** Dedicated connection for the blocking XREADGROUP (closed by `stop`). */
  blocking: RedisClient;
  keys: Keys;
  records: SessionRecords;
  logger: Logger;
  /** Consumer name in the group: the process's instance id. */
  consumer: string;
  attempts: number;
  backoffMs: number;
  blockMs?: number;
  /** Pending entries idle this long (their consumer died) are claimed by another replica. */
  claimIdleMs?: number;
}

// Receipt statuses (Baileys' names) → message status records; `played` (voice notes) implies read.
const RECEIPT_STATUS: Record<string, 'delivered' | 'read' | undefined> = {
  delivered: 'delivered',
  read: 'read',
  played: 'read',
};

/**
 * Turns session events into webhook jobs, and moves message status records forward from receipts
 * (`message.status` delivered/read of a message sent through wafleet: forward-only, so applying one
 * twice, or after the worker did, changes nothing). Every api replica reads the event stream through one
 * consumer group, so each event goes to one replica; the job id is the event id, so an event that
 * is read twice (a replica died before its XACK, its entry was claimed) is still enqueued once.
 * Events published while no api runs are picked up from the group's position on the next start
 * (as far as the capped stream still holds them).
 */
export class WebhookDispatcher {
  private readonly queue: Queue<WebhookJob>;
  private stopped = false;
  private grouped = false;
  private loopDone: Promise<void> | undefined;
  private lastClaim = 0;

  constructor(private readonly o: WebhookDispatcherOptions) {
    const address = sharedQueueOptions(o.keys, QUEUE_NAMES.webhooks);
    this.queue = new Queue<WebhookJob>(address.name, {
      // ioredis instance from @wafleet/redis; BullMQ types it against its own ioredis copy.
      connection: o.redis as unknown as ConnectionOptions,
      prefix: address.prefix,
    });
    this.queue.on('error', (err) => o.logger.warn({ err }, 'webhook queue error'));
  }

  get running(): boolean {
    return this.grouped && !this.stopped;
  }

  /** Starts reading; returns at once (while Redis is unreachable it keeps trying). */
  start(): void {
    this.loopDone ??= this.loop();
  }

  private async ensureGroup(): Promise<void> {
    while (!this.stopped && !this.grouped) {
      try {
        await this.o.redis.xgroup(
          'CREATE',
          this.o.keys.events(),
          WEBHOOK_CONSUMER_GROUP,
          '$',
          'MKSTREAM',
        );
        this.grouped = true;
      } catch (err) {
        if (/BUSYGROUP/.test((err as Error).message)) {
          this.grouped = true;
        } else {
          this.o.logger.warn({ err }, 'webhook consumer group not ready; retrying');
          await new Promise((r) => setTimeout(r, 1000));
        }
      }
    }
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.o.blocking.disconnect();
    await this.loopDone;
    await this.queue.close();
  }

  private async loop(): Promise<void> {
    await this.ensureGroup();
    while (!this.stopped) {
      try {
        await this.claimStale();
        const reply = (await this.o.blocking.xreadgroup(
          'GROUP',
          WEBHOOK_CONSUMER_GROUP,
          this.o.consumer,
          'COUNT',
          100,
          'BLOCK',
          this.o.blockMs ?? 2000,
          'STREAMS',
          this.o.keys.events(),
          '>',
        )) as [string, RawStreamEntry[]][] | null;
        const entries = (reply?.[0]?.[1] ?? []).map(parseStreamEntry);
        await this.handle(entries);
      } catch (err) {
        if (this.stopped) break;
        if (/NOGROUP/.test((err as Error).message)) {
          // The stream (and with it the group) was deleted: start over from its new end.
          this.grouped = false;
          await this.ensureGroup();
          continue;
        }
        this.o.logger.warn({ err }, 'webhook dispatcher read failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  /** Takes over entries another (dead) replica read but never acknowledged. */
  private async claimStale(): Promise<void> {
    const idle = this.o.claimIdleMs ?? 60_000;
    if (Date.now() - this.lastClaim < idle / 2) return;
    this.lastClaim = Date.now();
    let start = '0-0';
    for (let round = 0; round < 10; round++) {
      const [next, raw] = (await this.o.redis.xautoclaim(
        this.o.keys.events(),
        WEBHOOK_CONSUMER_GROUP,
        this.o.consumer,
        idle,
        start,
        'COUNT',
        100,
      )) as [string, (RawStreamEntry | null)[]];
      const entries = raw
        .filter((e): e is RawStreamEntry => Array.isArray(e))
        .map(parseStreamEntry);
      await this.handle(entries);
      if (next === '0-0') break;
      start = next;
    }
  }

  private async handle(entries: SessionEventEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const settings = new Map<string, StoredSettings | undefined>();
    for (const entry of entries) {
      if (entry.type === 'message.status') await this.applyReceipt(entry);
      if (!settings.has(entry.sessionId)) {
        const record = entry.sessionId
          ? await this.o.records.get(entry.sessionId).catch(() => undefined)
          : undefined;
        settings.set(entry.sessionId, record ? readSettings(record) : undefined);
      }
      const webhook = settings.get(entry.sessionId)?.webhook;
      if (webhook && webhook.events.includes(entry.type as never)) {
        await this.queue.add(
          JOB_NAMES.webhookDelivery,
          {
            eventId: entry.id,
            sessionId: entry.sessionId,
            type: entry.type,
            at: entry.at,
            data: entry.data,
          },
          {
            jobId: webhookJobId(entry.id),
            attempts: this.o.attempts,
            backoff: { type: 'exponential', delay: this.o.backoffMs },
            removeOnComplete: { age: 24 * 3600, count: 10_000 },
            removeOnFail: { age: 7 * 24 * 3600, count: 10_000 },
          },
        );
      }
      await this.o.redis.xack(this.o.keys.events(), WEBHOOK_CONSUMER_GROUP, entry.id);
    }
  }

  private async applyReceipt(entry: SessionEventEntry): Promise<void> {
    const status = RECEIPT_STATUS[String(entry.data.status)];
    const messageId = entry.data.messageId;
    if (!status || typeof messageId !== 'string' || !/^[A-Za-z0-9_-]{1,128}$/.test(messageId))
      return;
    try {
      // Only messages sent through wafleet have a record; receipts of others must not create one.
      if ((await this.o.redis.exists(this.o.keys.message(entry.sessionId, messageId))) === 0)
        return;
      await recordMessageStatus(this.o.redis, this.o.keys, entry.sessionId, messageId, {
        status,
        at: entry.at,
      });
    } catch (err) {
      this.o.logger.warn(
        { err, sessionId: entry.sessionId, messageId },
        'could not record a receipt',
      );
    }
  }
}
