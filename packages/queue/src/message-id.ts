import { createHash, randomUUID } from 'node:crypto';
import { isValidSessionId } from '@wafleet/core';

/** Message ids look like the ones Baileys generates (`3EB0` + 18 uppercase hex characters). */
export const MESSAGE_ID_PATTERN = /^3EB0[0-9A-F]{18}$/;

// Versioned domain separator: changing the derivation must never silently re-map old keys.
const DERIVATION = 'wafleet/message-id/v1';

/**
 * The WhatsApp message id for (session, idempotency key): deterministic, so a retry after a crash
 * re-sends the *same* id and the recipient's phone shows one message. 72 bits of SHA-256, in the
 * format Baileys uses, so nothing downstream can tell it from a normal id.
 */
export function deriveMessageId(sessionId: string, idempotencyKey: string): string {
  const hash = createHash('sha256')
    .update(DERIVATION)
    .update('\0')
    .update(sessionId)
    .update('\0')
    .update(idempotencyKey)
    .digest('hex')
    .toUpperCase();
  return `3EB0${hash.slice(0, 18)}`;
}

/**
 * The BullMQ job id of a send: `<sessionId>.<messageId>`. BullMQ refuses `:` and integer-looking
 * custom ids; session ids never contain `.`, so the id splits back unambiguously, and it names
 * the session whose queue holds the job.
 */
export function sendJobId(sessionId: string, messageId: string): string {
  return `${sessionId}.${messageId}`;
}

/** Splits a job id from {@link sendJobId}; undefined when it is not one. */
export function parseSendJobId(
  jobId: string,
): { sessionId: string; messageId: string } | undefined {
  const dot = jobId.indexOf('.');
  if (dot <= 0) return undefined;
  const sessionId = jobId.slice(0, dot);
  const messageId = jobId.slice(dot + 1);
  if (!isValidSessionId(sessionId) || !MESSAGE_ID_PATTERN.test(messageId)) return undefined;
  return { sessionId, messageId };
}

/** A fresh idempotency key for a producer that did not choose one. */
export function newIdempotencyKey(): string {
  return `auto-${randomUUID()}`;
}
