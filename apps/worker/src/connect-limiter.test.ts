import { describe, expect, it } from 'vitest';
import { ConnectLimiter } from './connect-limiter.js';

describe('ConnectLimiter', () => {
  it('never runs more than max tasks at once and runs them all', async () => {
    const limiter = new ConnectLimiter(3, 0);
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        limiter.run(async () => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 5));
          running--;
          done.push(i);
        }),
      ),
    );
    expect(peak).toBe(3);
    expect(done).toHaveLength(20);
    expect(limiter.inFlight).toBe(0);
  });

  it('releases the slot when a task throws', async () => {
    const limiter = new ConnectLimiter(1, 0);
    await expect(limiter.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await limiter.run(() => Promise.resolve(7))).toBe(7);
  });
});
