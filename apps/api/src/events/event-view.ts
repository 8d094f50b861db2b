import type { SessionEventEntry } from '@wafleet/redis';
import { z } from 'zod';

/** An event as the API shows it (event stream, long-poll and webhook body alike). */
export interface EventView {
  /** The stream entry id: unique, ordered, and the cursor to resume after this event. */
  id: string;
  session: string;
  type: string;
  /** When the worker published it (ISO 8601). */
  timestamp: string;
  data: Record<string, unknown>;
}

/** zod schema of {@link EventView}, for the OpenAPI document. */
export const eventViewSchema = z
  .object({
    id: z.string().describe('Stream id, e.g. 1712345678901-0; pass it back as the cursor'),
    session: z.string(),
    type: z
      .string()
      .describe(
        'session.status, session.qr, session.pairing_code, message.received, message.sent, message.status, message.failed, …',
      ),
    timestamp: z.string().describe('ISO 8601'),
    data: z.record(z.string(), z.unknown()),
  })
  .describe('Event');

/** Renders a stream entry. `revealQr: false` drops QR strings (a credential) from `session.qr`. */
export function toEventView(entry: SessionEventEntry, options: { revealQr: boolean }): EventView {
  let data = entry.data;
  if (!options.revealQr && 'qr' in data) {
    const { qr: _qr, ...rest } = data;
    data = { ...rest, redacted: 'qr needs the sessions scope' };
  }
  return {
    id: entry.id,
    session: entry.sessionId,
    type: entry.type,
    timestamp: new Date(entry.at || Date.now()).toISOString(),
    data,
  };
}

/** Which events a consumer wants: by session ids and by types (`message.*` matches a family). */
export class EventFilter {
  private readonly sessions: ReadonlySet<string> | undefined;
  private readonly exact: ReadonlySet<string>;
  private readonly prefixes: readonly string[];
  private readonly anyType: boolean;

  constructor(options: { sessions?: readonly string[]; types?: readonly string[] }) {
    this.sessions = options.sessions?.length ? new Set(options.sessions) : undefined;
    const types = options.types ?? [];
    this.anyType = types.length === 0;
    this.exact = new Set(types.filter((t) => !t.endsWith('*')));
    this.prefixes = types.filter((t) => t.endsWith('*')).map((t) => t.slice(0, -1));
  }

  matches(entry: SessionEventEntry): boolean {
    if (this.sessions && !this.sessions.has(entry.sessionId)) return false;
    if (this.anyType || this.exact.has(entry.type)) return true;
    return this.prefixes.some((p) => entry.type.startsWith(p));
  }
}
