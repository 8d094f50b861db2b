import { describe, expect, it } from 'vitest';
import { isValidSessionId, newId, newInstanceId } from './ids.js';

describe('ids', () => {
  it.each([
    ['s1', true],
    ['shop-42_main', true],
    ['a'.repeat(64), true],
    ['a'.repeat(65), false],
    ['', false],
    ['-leading', false],
    ['has space', false],
    ['has}brace', false],
    ['x:y', false],
  ])('isValidSessionId(%j) = %s', (id, ok) => {
    expect(isValidSessionId(id)).toBe(ok);
  });

  it('makes prefixed unique ids', () => {
    const a = newId('evt');
    expect(a).toMatch(/^evt_[A-Za-z0-9_-]{16}$/);
    expect(newId('evt')).not.toBe(a);
    expect(newInstanceId('worker')).toMatch(/^worker-.+-\d+-[0-9a-f]{6}$/);
  });
});
