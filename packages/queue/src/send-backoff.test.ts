import { describe, expect, it } from 'vitest';
import { fullJitterBackoff } from './send-backoff.js';

const settings = { baseMs: 1000, capMs: 60_000 };

describe('fullJitterBackoff', () => {
  it.each([
    [1, 1000],
    [2, 2000],
    [3, 4000],
    [6, 32_000],
    [7, 60_000],
    [8, 60_000],
    [1000, 60_000],
  ])('retry %i waits below %i ms', (attemptsMade, ceiling) => {
    // random() = 0.999… gives the ceiling's upper end, 0 the lower end: full jitter.
    expect(fullJitterBackoff(attemptsMade, settings, () => 0.9999999)).toBe(ceiling - 1);
    expect(fullJitterBackoff(attemptsMade, settings, () => 0)).toBe(0);
    expect(fullJitterBackoff(attemptsMade, settings, () => 0.5)).toBe(ceiling / 2);
  });

  it('spreads real random delays over the whole window', () => {
    const delays = Array.from({ length: 2000 }, () => fullJitterBackoff(4, settings));
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...delays)).toBeLessThan(8000);
    // Not clustered at one end: both halves of the window are used.
    expect(delays.filter((d) => d < 4000).length).toBeGreaterThan(800);
    expect(delays.filter((d) => d >= 4000).length).toBeGreaterThan(800);
  });
});
