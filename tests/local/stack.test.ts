import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '@wafleet/redis';
import { repoRoot, spawnProcess, until } from '@wafleet/test-support';

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
});
