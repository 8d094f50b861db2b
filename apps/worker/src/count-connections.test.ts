import { describe, expect, it } from 'vitest';
import { countConnectionsNamed } from './count-connections.js';

describe('countConnectionsNamed', () => {
  it('counts exact names only', () => {
    const list = [
      'id=3 addr=127.0.0.1:1 laddr=127.0.0.1:6379 fd=8 name=worker-1 age=1 idle=0',
      'id=4 addr=127.0.0.1:2 laddr=127.0.0.1:6379 fd=9 name=worker-10 age=1 idle=0',
      'id=5 addr=127.0.0.1:3 laddr=127.0.0.1:6379 fd=10 name= age=1 idle=0',
      'id=6 addr=127.0.0.1:4 laddr=127.0.0.1:6379 fd=11 name=worker-1 age=1 idle=0',
    ].join('\n');
    expect(countConnectionsNamed(list, 'worker-1')).toBe(2);
    expect(countConnectionsNamed(list, 'worker-10')).toBe(1);
    expect(countConnectionsNamed(list, 'worker-2')).toBe(0);
  });
});
