import { describe, expect, it } from 'vitest';
import { deriveMessageId, MESSAGE_ID_PATTERN, parseSendJobId, sendJobId } from './message-id.js';

describe('deriveMessageId', () => {
  it('is deterministic and looks like a Baileys id', () => {
    const id = deriveMessageId('s1', 'order-42');
    expect(id).toBe(deriveMessageId('s1', 'order-42'));
    expect(id).toMatch(MESSAGE_ID_PATTERN);
    expect(id).toHaveLength(22);
  });

  it('differs per session and per key', () => {
    const ids = new Set([
      deriveMessageId('s1', 'k'),
      deriveMessageId('s2', 'k'),
      deriveMessageId('s1', 'k2'),
      // The separator keeps ("s1", "0k") and ("s10", "k") apart.
      deriveMessageId('s1', '0k'),
      deriveMessageId('s10', 'k'),
    ]);
    expect(ids.size).toBe(5);
  });

  it('does not collide over many keys', () => {
    const ids = new Set(Array.from({ length: 50_000 }, (_, i) => deriveMessageId('s', `k${i}`)));
    expect(ids.size).toBe(50_000);
  });
});

describe('sendJobId', () => {
  it.each(['s1', 'my-session_2', '123'])('round-trips session %s', (sessionId) => {
    const messageId = deriveMessageId(sessionId, 'k');
    const jobId = sendJobId(sessionId, messageId);
    // BullMQ refuses custom ids containing ":" and ids that parse as integers.
    expect(jobId).not.toContain(':');
    expect(`${parseInt(jobId, 10)}`).not.toBe(jobId);
    expect(parseSendJobId(jobId)).toEqual({ sessionId, messageId });
  });

  it.each([
    '',
    '3EB0AAAAAAAAAAAAAAAAAA',
    's1.',
    's1.nothex',
    'bad id.3EB0AAAAAAAAAAAAAAAAAA',
    '42',
  ])('refuses %j', (jobId) => {
    expect(parseSendJobId(jobId)).toBeUndefined();
  });
});
