import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { WaSimControlClient, type SimInfo } from '@wafleet/wa-sim';
import { repoRoot, spawnProcess, type SpawnedProcess } from './spawn-app.js';
import { until } from './until.js';

/** A `wa-sim` CLI in a child process with a typed control client. */
export interface SimProcess {
  proc: SpawnedProcess;
  info: SimInfo;
  control: WaSimControlClient;
  /** Environment that points a worker at this sim (URL and trusted root). */
  workerEnv: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts `packages/wa-sim/dist/cli.js` (built by the test command) and waits for its ready line. */
export async function startSimProcess(args: string[] = []): Promise<SimProcess> {
  const cli = join(repoRoot, 'packages', 'wa-sim', 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (pnpm build)`);
  const proc = spawnProcess('wa-sim', process.execPath, [cli, ...args]);
  const line = await until(
    () => {
      if (proc.hasExited) throw new Error(`wa-sim exited:\n${proc.lines.slice(-20).join('\n')}`);
      return proc.lines.find((l) => l.startsWith('{"ws_url"'));
    },
    { timeoutMs: 15_000, what: 'wa-sim ready line' },
  );
  const info = JSON.parse(line) as SimInfo;
  return {
    proc,
    info,
    control: new WaSimControlClient(info.control_url),
    workerEnv: {
      WA_WEBSOCKET_URL: info.ws_url,
      WA_SIM_ROOT_PUBLIC_KEY: info.root_public_key,
      NODE_ENV: 'test',
    },
    stop: async () => {
      await proc.stop();
    },
  };
}
