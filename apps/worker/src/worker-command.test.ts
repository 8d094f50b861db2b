import { describe, expect, it } from 'vitest';
import { parseWorkerCommand } from './worker-command.js';

describe('parseWorkerCommand', () => {
  it.each([
    ['{"type":"drain"}', { type: 'drain' }],
    ['{"type":"logout","sessionId":"s1"}', { type: 'logout', sessionId: 's1' }],
    ['{"type":"restart","sessionId":"s-2"}', { type: 'restart', sessionId: 's-2' }],
    ['{"type":"reload_settings","sessionId":"s1"}', { type: 'reload_settings', sessionId: 's1' }],
    [
      '{"type":"pairing_code","sessionId":"s1","phone":"+15551234567","requestId":"r1"}',
      { type: 'pairing_code', sessionId: 's1', phone: '+15551234567', requestId: 'r1' },
    ],
  ])('accepts %s', (payload, command) => {
    expect(parseWorkerCommand(payload)).toEqual({ ok: true, command });
  });

  it.each([
    ['nope', 'not JSON'],
    ['null', 'not an object'],
    ['{"type":"logout"}', 'bad sessionId'],
    ['{"type":"logout","sessionId":"a}b"}', 'bad sessionId'],
    ['{"type":"explode","sessionId":"s1"}', 'unknown type'],
    ['{"type":"pairing_code","sessionId":"s1","phone":"12","requestId":"r"}', 'bad phone'],
    ['{"type":"pairing_code","sessionId":"s1","phone":"15551234567"}', 'bad requestId'],
  ])('rejects %s', (payload, problem) => {
    expect(parseWorkerCommand(payload)).toEqual({ ok: false, problem });
  });
});
