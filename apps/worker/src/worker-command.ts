import { isValidSessionId } from '@wafleet/core';

/** Commands the api sends to the worker that owns a session (JSON on the worker's channel). */
export type WorkerCommand = { type: 'drain' } | SessionCommand;

/** Commands about one owned session. */
export type SessionCommand =
  | { type: 'logout'; sessionId: string }
  | { type: 'restart'; sessionId: string }
  /** The session's settings changed (send rate): rebuild the send consumer, keep the socket. */
  | { type: 'reload_settings'; sessionId: string }
  | { type: 'pairing_code'; sessionId: string; phone: string; requestId: string };

/** Validates a command payload; the channel is internal, but a bad message must never crash a worker. */
export function parseWorkerCommand(
  payload: string,
): { ok: true; command: WorkerCommand } | { ok: false; problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(payload);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null) return { ok: false, problem: 'not an object' };
  const r = raw as Record<string, unknown>;
  if (r.type === 'drain') return { ok: true, command: { type: 'drain' } };
  if (typeof r.sessionId !== 'string' || !isValidSessionId(r.sessionId))
    return { ok: false, problem: 'bad sessionId' };
  switch (r.type) {
    case 'logout':
    case 'restart':
    case 'reload_settings':
      return { ok: true, command: { type: r.type, sessionId: r.sessionId } };
    case 'pairing_code':
      if (typeof r.phone !== 'string' || !/^\+?\d{8,15}$/.test(r.phone))
        return { ok: false, problem: 'bad phone' };
      if (typeof r.requestId !== 'string' || r.requestId.length === 0 || r.requestId.length > 100) {
        return { ok: false, problem: 'bad requestId' };
      }
      return {
        ok: true,
        command: {
          type: 'pairing_code',
          sessionId: r.sessionId,
          phone: r.phone,
          requestId: r.requestId,
        },
      };
    default:
      return { ok: false, problem: 'unknown type' };
  }
}
