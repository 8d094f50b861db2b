import { describe, expect, it } from 'vitest';
import type { SessionEventEntry } from '@wafleet/redis';
import { EventFilter, toEventView } from './event-view.js';
import { compareStreamIds } from './stream-id.js';

const entry = (
  sessionId: string,
  type: string,
  data: Record<string, unknown> = {},
): SessionEventEntry => ({
  id: '1-0',
  sessionId,
  type,
  at: Date.UTC(2030, 0, 1),
  data,
});

describe('EventFilter', () => {
  it.each([
    [{}, 's1', 'session.status', true],
    [{ sessions: ['s1'] }, 's1', 'session.qr', true],
    [{ sessions: ['s1'] }, 's2', 'session.qr', false],
    [{ types: ['session.status'] }, 's1', 'session.status', true],
    [{ types: ['session.status'] }, 's1', 'session.qr', false],
    [{ types: ['message.*'] }, 's1', 'message.status', true],
    [{ types: ['message.*'] }, 's1', 'session.status', false],
    [{ types: ['*'] }, 's1', 'anything', true],
    [{ sessions: ['s1', 's2'], types: ['message.sent', 'session.*'] }, 's2', 'session.qr', true],
  ])('%j matches %s %s → %s', (options, session, type, expected) => {
    expect(new EventFilter(options).matches(entry(session, type))).toBe(expected);
  });
});

describe('toEventView', () => {
  it('shows QR strings only when allowed', () => {
    const qr = entry('s1', 'session.qr', { qr: '2@abc,def,ghi,jkl' });
    expect(toEventView(qr, { revealQr: true }).data).toEqual({ qr: '2@abc,def,ghi,jkl' });
    const hidden = toEventView(qr, { revealQr: false });
    expect(JSON.stringify(hidden)).not.toContain('2@abc');
    expect(hidden).toMatchObject({
      id: '1-0',
      session: 's1',
      type: 'session.qr',
      timestamp: '2030-01-01T00:00:00.000Z',
    });
  });
});

describe('compareStreamIds', () => {
  it.each([
    ['1-0', '2-0', -1],
    ['2-0', '10-0', -1],
    ['5-1', '5-0', 1],
    ['5-10', '5-9', 1],
    ['1712345678901-0', '1712345678901-0', 0],
    ['99999999999999999999-0', '1-0', 1],
  ])('%s vs %s', (a, b, sign) => {
    expect(Math.sign(compareStreamIds(a, b))).toBe(sign);
  });
});
