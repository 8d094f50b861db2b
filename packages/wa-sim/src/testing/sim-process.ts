import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SimInfo } from '../control/wire-types.js';

const pkgDir = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(pkgDir, 'dist', 'cli.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Fails clearly when dist/ is missing or older than src/ (the test command builds before it tests). */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(cli).mtimeMs;
  } catch {
    built = 0;
  }
  if (built < newestMtime(join(pkgDir, 'src'))) {
    throw new Error(
      `${cli} is missing or older than src/: build first (pnpm exec turbo run build --filter=@wafleet/wa-sim)`,
    );
  }
}

/** A `wa-sim` CLI running as a child process. */
export interface SimProcess {
  child: ChildProcess;
  info: SimInfo;
  stop: () => Promise<void>;
}

/** Spawns the CLI and waits for its ready line. */
export async function spawnSim(args: string[] = []): Promise<SimProcess> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const info = await new Promise<SimInfo>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`wa-sim exited with ${code} before ready`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as SimInfo));
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return { child, info, stop };
}
