import { LuaScript, type Keys, type RedisClient } from '@wafleet/redis';
import { isSendFailureReason, type SendFailureReason } from './send-failure-reason.js';

/** Where a message is: queued < sent < delivered < read; failed is terminal. */
export type MessageStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

export const MESSAGE_STATUSES: readonly MessageStatus[] = [
  'queued',
  'sent',
  'delivered',
  'read',
  'failed',
];

/** A status change to record. */
export interface MessageStatusUpdate {
  readonly status: MessageStatus;
  /** When it happened (epoch ms); defaults to now. */
  readonly at?: number;
  /** The BullMQ job id; stored once (the first writer wins). */
  readonly jobId?: string;
  /** For `failed`. */
  readonly reason?: SendFailureReason;
  /** For `failed`: the human detail. */
  readonly error?: string;
}

/** The stored per-message status record. Timestamps are epoch ms. */
export interface MessageStatusRecord {
  readonly status: MessageStatus;
  readonly jobId?: string;
  readonly reason?: SendFailureReason;
  readonly error?: string;
  readonly queuedAt?: number;
  readonly sentAt?: number;
  readonly deliveredAt?: number;
  readonly readAt?: number;
  readonly failedAt?: number;
  readonly updatedAt: number;
}

/** Records expire 7 days after their last change: long enough for late receipts and audits. */
export const DEFAULT_MESSAGE_STATUS_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Writes only while `<workerId>:<fence>` holds the session lease with some time left. */
export interface LeaseFence {
  /** The lease value the writer holds: `<workerId>:<fence>`. */
  readonly leaseValue: string;
  /** Refuse when the lease expires sooner than this (ms); default 1,000. */
  readonly minRemainingMs?: number;
}

/** Options of {@link recordMessageStatus}. */
export interface RecordMessageStatusOptions {
  readonly ttlMs?: number;
  readonly now?: number;
  readonly fence?: LeaseFence;
}

/** What {@link recordMessageStatus} did. */
export type RecordMessageStatusResult =
  | { readonly outcome: 'applied' | 'ignored'; readonly status: MessageStatus }
  | { readonly outcome: 'fenced_out'; readonly leaseHolder: string | undefined };

/** The lease value format of the ownership package: `<workerId>:<fence>`. */
export function leaseValue(workerId: string, fence: number | bigint | string): string {
  return `${workerId}:${String(fence)}`;
}

export const DEFAULT_MIN_LEASE_REMAINING_MS = 1_000;

const recordScript = new LuaScript(new URL('./record-message-status-2.lua', import.meta.url), 2);

function isStatus(value: unknown): value is MessageStatus {
  return typeof value === 'string' && (MESSAGE_STATUSES as readonly string[]).includes(value);
}

/**
 * Moves a message's status record forward, atomically in Lua: queued < sent < delivered < read;
 * `failed` is terminal and is not applied over delivered/read. A backwards or repeated update is
 * `ignored`. With `fence`, the write happens only while the caller holds the session lease.
 */
export async function recordMessageStatus(
  redis: RedisClient,
  keys: Keys,
  sessionId: string,
  messageId: string,
  update: MessageStatusUpdate,
  options: RecordMessageStatusOptions = {},
): Promise<RecordMessageStatusResult> {
  if (!isStatus(update.status)) throw new Error(`unknown message status ${String(update.status)}`);
  const now = options.now ?? Date.now();
  const reply = (await recordScript.run(
    redis,
    [keys.message(sessionId, messageId), keys.lease(sessionId)],
    [
      update.status,
      String(now),
      String(options.ttlMs ?? DEFAULT_MESSAGE_STATUS_TTL_MS),
      options.fence?.leaseValue ?? '',
      String(options.fence?.minRemainingMs ?? DEFAULT_MIN_LEASE_REMAINING_MS),
      String(update.at ?? now),
      update.jobId ?? '',
      update.status === 'failed' ? (update.reason ?? 'unknown') : '',
      update.status === 'failed' ? (update.error ?? '') : '',
    ],
  )) as [number, string];
  const [code, value] = reply;
  if (code === -1) return { outcome: 'fenced_out', leaseHolder: value || undefined };
  if (!isStatus(value))
    throw new Error(`unexpected status ${value} in ${keys.message(sessionId, messageId)}`);
  return { outcome: code === 1 ? 'applied' : 'ignored', status: value };
}

function num(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** Reads a message's status record; undefined when there is none (never sent, or expired). */
export async function readMessageStatus(
  redis: RedisClient,
  keys: Keys,
  sessionId: string,
  messageId: string,
): Promise<MessageStatusRecord | undefined> {
  const raw = await redis.hgetall(keys.message(sessionId, messageId));
  if (!isStatus(raw.status)) return undefined;
  const reason = isSendFailureReason(raw.reason) ? raw.reason : undefined;
  const fields = {
    status: raw.status,
    jobId: raw.jobId || undefined,
    reason,
    error: raw.error || undefined,
    queuedAt: num(raw.queuedAt),
    sentAt: num(raw.sentAt),
    deliveredAt: num(raw.deliveredAt),
    readAt: num(raw.readAt),
    failedAt: num(raw.failedAt),
  };
  const record: Record<string, unknown> = { updatedAt: num(raw.updatedAt) ?? 0 };
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) record[key] = value;
  return record as unknown as MessageStatusRecord;
}
