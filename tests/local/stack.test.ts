import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '@wafleet/redis';
import { repoRoot, spawnProcess, until } from '@wafleet/test-support';

/** Process group of every live process whose command line contains all of `parts` (Linux /proc). */
function groupsOf(...parts: string[]): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!parts.every((p) => cmd.includes(p))) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      out.push(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]));
    } catch {
      // The process ended while we looked.
    }
  }
  return out;
}

async function answers(url: string): Promise<boolean> {
  return fetch(url)
    .then((r) => r.ok)
    .catch(() => false);
}

describe('the single-machine run command', () => {
  it('starts a local Redis and the three apps, and SIGTERM stops all of it within 10 s', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'wafleet-stack-'));
    const [api, coord, worker, redisPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const env: Record<string, string | undefined> = {
      WAFLEET_STATE_DIR: stateDir,
      API_PORT: String(api),
      COORDINATOR_PORT: String(coord),
      WORKER_PORT: String(worker),
      WAFLEET_REDIS_PORT: String(redisPort),
      REDIS_URL: undefined,
      ENCRYPTION_KEYS: undefined,
    };
    const stack = spawnProcess(
      'stack',
      process.execPath,
      [join(repoRoot, 'infra/local/dist/stack.js')],
      { env },
    );
    try {
      await stack.waitForLine('wafleet is up', 40_000);
      for (const port of [api, coord, worker])
        expect(await answers(`http://127.0.0.1:${port}/healthz`)).toBe(true);
      expect(stack.lines.join('\n')).toContain(`redis://127.0.0.1:${redisPort}`);
      // AOF persistence in the project-local data dir, and a private key file.
      await until(() =>
        statSync(join(stateDir, 'redis'), { throwIfNoEntry: false })?.isDirectory(),
      );
      const secrets = statSync(join(stateDir, 'secrets.env'));
      expect(secrets.mode & 0o777).toBe(0o600);
      expect(readFileSync(join(stateDir, 'secrets.env'), 'utf8')).toMatch(
        /^ENCRYPTION_KEYS=local1:/m,
      );
      const ready = (await (await fetch(`http://127.0.0.1:${worker}/readyz`)).json()) as {
        ok: boolean;
      };
      expect(ready.ok).toBe(true);

      const started = Date.now();
      stack.signal('SIGTERM');
      const result = await stack.exited;
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(result.code).toBe(0);
      for (const port of [api, coord, worker])
        expect(await answers(`http://127.0.0.1:${port}/healthz`)).toBe(false);
      const { Redis } = await import('ioredis');
      const probe = new Redis({
        port: redisPort,
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
      });
      probe.on('error', () => {});
      await expect(probe.connect()).rejects.toThrow();
      probe.disconnect();
    } finally {
      if (!stack.hasExited) stack.signal('SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('Ctrl-C (SIGINT to the whole process group) drains the apps while Redis still answers', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'wafleet-stack-'));
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const env: Record<string, string | undefined> = {
      ...process.env,
      WAFLEET_STATE_DIR: stateDir,
      API_PORT: String(ports[0]),
      COORDINATOR_PORT: String(ports[1]),
      WORKER_PORT: String(ports[2]),
      WAFLEET_REDIS_PORT: String(ports[3]),
      // Demo mode: the stack also runs the simulator, with a demo session.
      WAFLEET_DEMO: '1',
    };
    delete env.REDIS_URL;
    delete env.ENCRYPTION_KEYS;
    // Its own process group, like a shell job in a terminal.
    const stack = spawn(process.execPath, [join(repoRoot, 'infra/local/dist/stack.js')], {
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    stack.stdout.on('data', (d: Buffer) => (output += d.toString()));
    stack.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((r) => stack.once('exit', (code) => r(code)));
    try {
      await until(() => output.includes('wafleet is up'), { timeoutMs: 40_000, what: 'up' });
      // Redis and the simulator are outside the terminal's process group: Ctrl-C cannot stop
      // them before the apps have drained.
      const redisGroups = groupsOf('redis-server', String(ports[3]));
      const simGroups = groupsOf('wa-sim', stateDir);
      expect(redisGroups).toHaveLength(1);
      expect(simGroups).toHaveLength(1);
      expect([...redisGroups, ...simGroups]).not.toContain(stack.pid);
      process.kill(-stack.pid!, 'SIGINT');
      expect(await exited).toBe(0);
      const afterStop = output.slice(output.indexOf('stopping'));
      expect(afterStop).toMatch(/stopped in \d+ ms/);
      // Redis and the simulator outlive the apps' drain: no app lost its connection.
      expect(afterStop).not.toMatch(/ECONNREFUSED|redis connection error|heartbeat failed/);
    } finally {
      if (stack.exitCode === null) process.kill(-stack.pid!, 'SIGKILL');
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
