import type { SessionEventEntry } from '@wafleet/redis';

/** A raw stream entry as ioredis returns it: `[id, [field, value, field, value, …]]`. */
export type RawStreamEntry = [string, string[]];

/** Decodes a raw entry of the session event stream (the layout `publishSessionEvent` writes). */
export function parseStreamEntry([id, fields]: RawStreamEntry): SessionEventEntry {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  let data: Record<string, unknown> = {};
  try {
    data = JSON.parse(f.data ?? '{}') as Record<string, unknown>;
  } catch {
    data = {};
  }
  return { id, sessionId: f.sessionId ?? '', type: f.type ?? '', at: Number(f.at ?? 0), data };
}
