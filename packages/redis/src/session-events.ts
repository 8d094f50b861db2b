import type { RedisClient } from './create-redis.js';
import type { Keys } from './keys.js';

/** One entry of the session event stream. */
export interface SessionEventEntry {
  id: string;
  sessionId: string;
  type: string;
  at: number;
  data: Record<string, unknown>;
}

/** Approximate cap of the stream; older entries are trimmed (pull consumers must keep up). */
export const EVENT_STREAM_MAX_LEN = 100_000;

/** Appends to the capped Redis Stream of session events; returns the entry id (the cursor). */
export async function publishSessionEvent(
  redis: RedisClient,
  keys: Keys,
  event: { sessionId: string; type: string; data?: Record<string, unknown>; at?: number },
): Promise<string> {
  const id = await redis.xadd(
    keys.events(),
    'MAXLEN',
    '~',
    String(EVENT_STREAM_MAX_LEN),
    '*',
    'sessionId',
    event.sessionId,
    'type',
    event.type,
    'at',
    String(event.at ?? Date.now()),
    'data',
    JSON.stringify(event.data ?? {}),
  );
  return id ?? '';
}

/** Reads events after `cursor` (exclusive), optionally blocking up to `blockMs` for new ones. */
export async function readSessionEvents(
  redis: RedisClient,
  keys: Keys,
  options: { cursor?: string; count?: number; blockMs?: number } = {},
): Promise<SessionEventEntry[]> {
  const count = String(options.count ?? 100);
  const cursor = options.cursor ?? '0-0';
  const reply = (
    options.blockMs !== undefined
      ? await redis.xread(
          'COUNT',
          count,
          'BLOCK',
          String(options.blockMs),
          'STREAMS',
          keys.events(),
          cursor,
        )
      : await redis.xread('COUNT', count, 'STREAMS', keys.events(), cursor)
  ) as [string, [string, string[]][]][] | null;
  const entries = reply?.[0]?.[1] ?? [];
  return entries.map(([id, fields]) => {
    const f: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
    let data: Record<string, unknown> = {};
    try {
      data = JSON.parse(f.data ?? '{}') as Record<string, unknown>;
    } catch {
      data = {};
    }
    return { id, sessionId: f.sessionId ?? '', type: f.type ?? '', at: Number(f.at ?? 0), data };
  });
}
