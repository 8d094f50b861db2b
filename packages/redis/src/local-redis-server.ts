import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { freePort } from './free-port.js';

export interface LocalRedisOptions {
  /** Data directory (AOF and RDB files live here). */
  dir: string;
  /** Port to bind; a free one is picked when omitted. */
  port?: number;
  /** `aof` = appendonly + everysec (the run command); `none` = no persistence (tests). */
  persistence?: 'aof' | 'none';
  /** The redis-server binary; `REDIS_SERVER_BIN` or `redis-server` on PATH by default. */
  binary?: string;
  /** Milliseconds to wait for the server to answer PING. */
  startTimeoutMs?: number;
  /**
   * Run it in its own process group, so a Ctrl-C to the terminal does not reach it and the
   * caller can stop it after the apps that still need it (the run command).
   */
  ownProcessGroup?: boolean;
}

/** A redis-server child process on loopback. */
export interface LocalRedisServer {
  url: string;
  port: number;
  dir: string;
  process: ChildProcess;
  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves when the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
}

const MISSING = (bin: string) =>
  `"${bin}" was not found. Install Redis 7 (Debian/Ubuntu: sudo apt-get install -y redis-server; macOS: brew install redis) or set REDIS_URL to an existing server.`;

/** Throws an actionable error when redis-server is not installed. */
export function assertRedisServerInstalled(
  binary = process.env.REDIS_SERVER_BIN ?? 'redis-server',
): void {
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(MISSING(binary));
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function waitForPing(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const probe = new Redis({
    port,
    host: '127.0.0.1',
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  probe.on('error', () => {});
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`redis-server exited with code ${child.exitCode}`);
      try {
        if (probe.status !== 'ready') await probe.connect();
        if ((await probe.ping()) === 'PONG') return;
      } catch {
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
  } finally {
    probe.disconnect();
  }
}

/**
 * Starts a real redis-server on loopback with `maxmemory-policy noeviction`, as wafleet requires.
 * Used by the single-machine run command (AOF `everysec`) and by the test harness (no persistence).
 */
export async function startLocalRedis(options: LocalRedisOptions): Promise<LocalRedisServer> {
  const binary = options.binary ?? process.env.REDIS_SERVER_BIN ?? 'redis-server';
  assertRedisServerInstalled(binary);
  mkdirSync(options.dir, { recursive: true });
  const persistence = options.persistence ?? 'none';
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = options.port ?? (await freePort());
    const args = [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      options.dir,
      '--maxmemory-policy',
      'noeviction',
      '--save',
      '',
      '--daemonize',
      'no',
      '--protected-mode',
      'yes',
      '--loglevel',
      'warning',
      '--logfile',
      '',
      ...(persistence === 'aof'
        ? ['--appendonly', 'yes', '--appendfsync', 'everysec']
        : ['--appendonly', 'no']),
    ];
    const child = spawn(binary, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: options.ownProcessGroup ?? false,
    });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    try {
      await waitForPing(port, child, options.startTimeoutMs ?? 10_000);
      child.stdout?.removeAllListeners('data');
      child.stdout?.resume();
      child.stderr?.resume();
      const server: LocalRedisServer = {
        url: `redis://127.0.0.1:${port}`,
        port,
        dir: options.dir,
        process: child,
        async stop(timeoutMs = 5000) {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = waitForExit(child);
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
          await exited;
          clearTimeout(timer);
        },
      };
      return server;
    } catch (err) {
      lastError = new Error(`${(err as Error).message}\n${output.trim()}`);
      child.kill('SIGKILL');
      await waitForExit(child);
      if (options.port !== undefined) break;
    }
  }
  throw lastError instanceof Error ? lastError : new Error('redis-server failed to start');
}
