import { describe, expect, it } from 'vitest';
import { parseProcUsage, procUsage } from './proc-usage.js';

const status = (kb: number): string =>
  `Name:\tnode\nVmPeak:\t  999999 kB\nVmRSS:\t  ${kb} kB\nThreads:\t11\n`;
// Fields after the command name: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
const stat = (comm: string, utime: number, stime: number): string =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194304 99 0 0 0 ${utime} ${stime} 0 0 20 0 11 0 1295852 3133440 380`;

describe('parseProcUsage', () => {
  it.each([
    { comm: 'node', utime: 150, stime: 50, ticks: 100, cpuMs: 2000 },
    // The command name may contain spaces and parentheses: fields count from the LAST ')'.
    { comm: 'node (vitest 1)', utime: 7, stime: 3, ticks: 100, cpuMs: 100 },
    { comm: ') ) x', utime: 1, stime: 1, ticks: 1000, cpuMs: 2 },
  ])(
    '$comm: utime $utime + stime $stime at $ticks Hz → $cpuMs ms',
    ({ comm, utime, stime, ticks, cpuMs }) => {
      expect(parseProcUsage(status(2048), stat(comm, utime, stime), ticks)).toEqual({
        rssBytes: 2048 * 1024,
        cpuMs,
      });
    },
  );

  it('rejects text that is not /proc', () => {
    expect(() => parseProcUsage('nothing', stat('node', 1, 1), 100)).toThrow(/proc format/);
    expect(() => parseProcUsage(status(1), '4242 (node) S', 100)).toThrow(/proc format/);
  });
});

describe.runIf(process.platform === 'linux')('procUsage of a live process', () => {
  it('reports this process: RSS close to Node own figure, CPU that grows while it works', () => {
    const before = procUsage(process.pid);
    const rss = process.memoryUsage().rss;
    expect(before.rssBytes).toBeGreaterThan(rss / 2);
    expect(before.rssBytes).toBeLessThan(rss * 2);
    const spinUntil = Date.now() + 150;
    let x = 0;
    while (Date.now() < spinUntil) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    expect(procUsage(process.pid).cpuMs - before.cpuMs).toBeGreaterThanOrEqual(50);
  });
});
