import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** RSS and CPU time (user + system) of one process. */
export interface ProcUsage {
  rssBytes: number;
  cpuMs: number;
}

let clockTicks: number | undefined;

/** Kernel clock ticks per second (`getconf CLK_TCK`; 100 on every mainstream Linux). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * Parses `/proc/<pid>/status` and `/proc/<pid>/stat`. The command name in `stat` is in
 * parentheses and may itself contain spaces and parentheses (`node (vitest 1)`), so the fields
 * are counted from the last `)`: utime and stime are fields 14 and 15 of the whole line.
 */
export function parseProcUsage(status: string, stat: string, ticks: number): ProcUsage {
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are fields[11] and fields[12].
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(rssKb) || !Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error('unexpected /proc format');
  }
  return { rssBytes: rssKb * 1024, cpuMs: ((utime + stime) * 1000) / ticks };
}

/** RSS and CPU of a live Linux process, read from /proc (the benchmark measures the sim this way). */
export function procUsage(pid: number): ProcUsage {
  return parseProcUsage(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
    readFileSync(`/proc/${pid}/stat`, 'utf8'),
    ticksPerSecond(),
  );
}
