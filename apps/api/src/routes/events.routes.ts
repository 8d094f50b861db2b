import type { FastifyInstance } from 'fastify';
import { isValidSessionId, SESSION_ID_RULE } from '@wafleet/core';
import { readSessionEvents } from '@wafleet/redis';
import { z } from 'zod';
import { EventFilter, eventViewSchema, toEventView, type EventView } from '../events/event-view.js';
import { STREAM_ID_PATTERN } from '../events/stream-id.js';
import { errorResponses, KEY_SECURITY } from '../http/common-schemas.js';
import { SseStream } from '../http/sse-stream.js';
import type { ApiDeps } from './api-deps.js';
import { mayRevealQr } from './sessions.routes.js';

const CURSOR_RULE =
  'must be a stream id such as 1712345678901-0, 0 (from the start) or $ (from now)';
const TYPE_PATTERN = /^(\*|[a-z_]{1,40}(\.[a-z_]{1,40}){0,3}(\.\*)?)$/;

function list(value: string | undefined): string[] {
  return value === undefined
    ? []
    : value
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean);
}

function int(name: string, min: number, max: number, fallback: number) {
  return z
    .string()
    .regex(/^\d{1,6}$/, { error: `must be a whole number from ${min} to ${max}` })
    .transform(Number)
    .refine((n) => n >= min && n <= max, { error: `must be a whole number from ${min} to ${max}` })
    .optional()
    .transform((n) => n ?? fallback)
    .describe(name);
}

const eventsQuery = z.strictObject({
  cursor: z
    .string()
    .refine((v) => v === '0' || v === '$' || STREAM_ID_PATTERN.test(v), { error: CURSOR_RULE })
    .optional()
    .describe('Return events after this one; default: from now on'),
  wait: int('Long-poll: seconds to wait for a first event (0-30)', 0, 30, 0),
  limit: int('Most events per answer (1-500)', 1, 500, 100),
  session: z
    .string()
    .max(4096)
    .refine((v) => list(v).every(isValidSessionId), {
      error: `must be session ids (${SESSION_ID_RULE}), comma separated`,
    })
    .optional()
    .describe('Only these sessions (comma list)'),
  type: z
    .string()
    .max(1024)
    .refine((v) => list(v).every((t) => TYPE_PATTERN.test(t)), {
      error: 'must be event types such as session.status or message.*, comma separated',
    })
    .optional()
    .describe('Only these types (comma list; message.* matches a family)'),
});

const MAX_SCANNED = 10_000;
const PAGE = 500;

/** `GET /v1/events`: the session event stream, as SSE (Accept: text/event-stream) or long-poll JSON. */
export function registerEventRoutes(app: FastifyInstance, deps: ApiDeps): void {
  app.get(
    '/v1/events',
    {
      config: { auth: ['read', 'sessions'] },
      schema: {
        summary: 'Session events: Server-Sent Events, or long-poll JSON with a cursor',
        description:
          'With Accept: text/event-stream each event is sent as `event: <type>`, `id: <cursor>` (Last-Event-ID resumes). Otherwise the answer is { events, cursor }; pass cursor back to continue. QR strings are shown only to keys with the sessions scope.',
        tags: ['events'],
        security: KEY_SECURITY,
        querystring: eventsQuery,
        response: {
          200: z.object({ events: z.array(eventViewSchema), cursor: z.string() }),
          ...errorResponses(),
        },
      },
    },
    async (request, reply) => {
      const q = request.query as z.output<typeof eventsQuery>;
      const filter = new EventFilter({ sessions: list(q.session), types: list(q.type) });
      const revealQr = mayRevealQr(request);
      const accept = request.headers.accept ?? '';

      if (/\btext\/event-stream\b/i.test(accept)) {
        const lastEventId = request.headers['last-event-id'];
        const resume =
          typeof lastEventId === 'string' && STREAM_ID_PATTERN.test(lastEventId)
            ? lastEventId
            : undefined;
        const cursor =
          resume ?? (q.cursor === '0' ? '0-0' : q.cursor === '$' ? undefined : q.cursor);
        const stream = new SseStream(reply, deps.streams);
        const follower = deps.tail.follow({
          ...(cursor !== undefined ? { cursor } : {}),
          onEvent: (entry) => {
            if (filter.matches(entry))
              stream.send(entry.type, toEventView(entry, { revealQr }), entry.id);
          },
          onError: (err) => {
            deps.logger.warn({ err }, 'event stream backlog read failed');
            stream.close();
          },
        });
        stream.onClose(() => follower.close());
        return;
      }

      let cursor =
        q.cursor === undefined || q.cursor === '$'
          ? await deps.tail.streamEnd()
          : q.cursor === '0'
            ? '0-0'
            : q.cursor;
      const events: EventView[] = [];
      let scanned = 0;
      scan: while (events.length < q.limit && scanned < MAX_SCANNED) {
        const page = await readSessionEvents(deps.redis, deps.keys, { cursor, count: PAGE });
        for (const entry of page) {
          cursor = entry.id;
          scanned++;
          if (filter.matches(entry)) {
            events.push(toEventView(entry, { revealQr }));
            if (events.length >= q.limit) break scan;
          }
        }
        if (page.length < PAGE) break;
      }
      if (events.length === 0 && q.wait > 0) {
        cursor = await new Promise<string>((resolve) => {
          let last = cursor;
          let settled = false;
          const finish = () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            follower.close();
            resolve(last);
          };
          const timer = setTimeout(finish, q.wait * 1000);
          const follower = deps.tail.follow({
            cursor,
            onEvent: (entry) => {
              if (settled || events.length >= q.limit) return;
              last = entry.id;
              if (filter.matches(entry)) {
                events.push(toEventView(entry, { revealQr }));
                // Collect what arrives in the same burst, then answer.
                setImmediate(finish);
              }
            },
            onError: finish,
          });
          reply.raw.once('close', finish);
        });
      }
      return { events, cursor };
    },
  );
}
