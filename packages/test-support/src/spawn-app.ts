import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@wafleet/redis';
import { until } from './until.js';

/** The repository root (this file lives in packages/test-support/{src,dist}/). */
export const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

export type AppName = 'api' | 'coordinator' | 'worker';

/** A spawned child process with its output captured. */
export interface SpawnedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Every line written to stdout and stderr so far. */
  readonly lines: string[];
  /** Resolves with the exit code/signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the process has exited. */
  readonly hasExited: boolean;
  /** Waits for a line matching `match` (string contains, regex, or predicate over parsed JSON logs). */
  waitForLine(
    match: string | RegExp | ((line: string) => boolean),
    timeoutMs?: number,
  ): Promise<string>;
  /** Sends a signal (SIGKILL, SIGSTOP, SIGCONT, …). */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM and wait for exit (SIGKILL after `timeoutMs`). */
  stop(timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A spawned app with its HTTP port. */
export interface SpawnedApp extends SpawnedProcess {
  readonly port: number;
  readonly baseUrl: string;
}

const live = new Set<SpawnedProcess>();
process.once('exit', () => {
  for (const p of live) if (!p.hasExited) p.child.kill('SIGKILL');
});

/** Spawns any command with output capture; killed automatically if the test process exits. */
export function spawnProcess(
  name: string,
  command: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; echo?: boolean } = {},
): SpawnedProcess {
  // WAFLEET_PROFILE_DIR=<dir>: every spawned node process writes a CPU profile there on exit
  // (`--cpu-prof`), so a benchmark's worker, coordinator and sim can be profiled as they ran.
  const profileDir = process.env.WAFLEET_PROFILE_DIR;
  const profiled =
    profileDir && command === process.execPath
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${profileDir}`,
          `--cpu-prof-name=${name}.${Date.now()}.cpuprofile`,
        ]
      : [];
  const child = spawn(command, [...profiled, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let exited = false;
  const onData = (stream: 'out' | 'err') => {
    let partial = '';
    return (chunk: Buffer) => {
      partial += chunk.toString('utf8');
      const parts = partial.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (options.echo || process.env.WAFLEET_TEST_ECHO)
          process.stderr.write(`[${name}:${stream}] ${line}\n`);
      }
    };
  };
  child.stdout?.on('data', onData('out'));
  child.stderr?.on('data', onData('err'));
  const exitedPromise = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (res) => {
      child.once('exit', (code, signal) => {
        exited = true;
        live.delete(proc);
        res({ code, signal });
      });
    },
  );
  const proc: SpawnedProcess = {
    name,
    child,
    pid: child.pid ?? -1,
    lines,
    exited: exitedPromise,
    get hasExited() {
      return exited;
    },
    async waitForLine(match, timeoutMs = 15_000) {
      const test =
        typeof match === 'string'
          ? (l: string) => l.includes(match)
          : match instanceof RegExp
            ? (l: string) => match.test(l)
            : match;
      return until(
        () =>
          lines.find(test) ?? (exited ? Promise.reject(new Error(`${name} exited`)) : undefined),
        {
          timeoutMs,
          what: `${name} to print ${String(match)}`,
        },
      );
    },
    signal(sig) {
      if (!exited) child.kill(sig);
    },
    async stop(timeoutMs = 10_000) {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        const result = await exitedPromise;
        clearTimeout(timer);
        return result;
      }
      return exitedPromise;
    },
  };
  live.add(proc);
  return proc;
}

/**
 * Spawns `apps/<name>/dist/main.js` (built by the test command) with a free HTTP port and waits
 * until `/healthz` answers.
 */
export async function spawnApp(
  name: AppName,
  options: {
    env?: Record<string, string | undefined>;
    readyTimeoutMs?: number;
    label?: string;
  } = {},
): Promise<SpawnedApp> {
  const main = join(repoRoot, 'apps', name, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: build first (pnpm build)`);
  const port = options.env?.HTTP_PORT ? Number(options.env.HTTP_PORT) : await freePort();
  const proc = spawnProcess(options.label ?? name, process.execPath, [main], {
    env: {
      HTTP_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      NODE_ENV: 'test',
      ...options.env,
      HTTP_PORT: String(port),
    },
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await until(
    async () => {
      if (proc.hasExited) {
        throw Object.assign(
          new Error(`${name} exited before it was ready:\n${proc.lines.slice(-20).join('\n')}`),
          {
            fatal: true,
          },
        );
      }
      const res = await fetch(`${baseUrl}/healthz`).catch(() => undefined);
      return res?.ok;
    },
    { timeoutMs: options.readyTimeoutMs ?? 20_000, what: `${name} /healthz` },
  ).catch((err: Error) => {
    proc.signal('SIGKILL');
    throw new Error(`${err.message}\n--- ${name} output ---\n${proc.lines.slice(-30).join('\n')}`);
  });
  return Object.assign(proc, { port, baseUrl });
}
