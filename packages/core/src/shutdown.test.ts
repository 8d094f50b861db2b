import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { ShutdownSequence } from './shutdown.js';

const silent = createLogger({ role: 'test', level: 'silent' });

describe('ShutdownSequence', () => {
  it('runs each step once, in order, even when called repeatedly', async () => {
    const calls: string[] = [];
    const seq = new ShutdownSequence(silent, 1000)
      .add('a', () => void calls.push('a'))
      .add('b', () => {
        calls.push('b');
        throw new Error('broken');
      })
      .add('c', async () => {
        await Promise.resolve();
        calls.push('c');
      });
    await Promise.all([seq.run('SIGTERM'), seq.run('SIGINT'), seq.run('again')]);
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(seq.started).toBe(true);
  });

  it('gives up after the timeout', async () => {
    const seq = new ShutdownSequence(silent, 50).add('hang', () => new Promise(() => {}));
    const started = Date.now();
    await seq.run('test');
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
