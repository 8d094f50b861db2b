#!/usr/bin/env node
// `pnpm bench <name>`: runs the compiled benchmark `<pkg>/dist/bench/<name>.bench.js`.
// Benchmarks print their figures as a final JSON line so runs can be compared.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

function findBenches(): Map<string, string> {
  const found = new Map<string, string>();
  for (const group of ['apps', 'packages', 'infra', 'tests']) {
    const groupDir = join(root, group);
    if (!existsSync(groupDir)) continue;
    for (const pkg of readdirSync(groupDir)) {
      const dir = join(groupDir, pkg, 'dist', 'bench');
      if (!existsSync(dir)) continue;
      for (const file of readdirSync(dir)) {
        const m = /^(.+)\.bench\.js$/.exec(file);
        if (m?.[1]) found.set(m[1], join(dir, file));
      }
    }
  }
  return found;
}

const name = process.argv[2];
const benches = findBenches();
const file = name ? benches.get(name) : undefined;
if (!name || !file) {
  const known = [...benches.keys()].sort().join(', ') || '(none built; run the setup first)';
  process.stderr.write(
    `${name ? `unknown benchmark "${name}"` : 'usage: pnpm bench <name>'}; known: ${known}\n`,
  );
  process.exit(2);
}
// --expose-gc lets memory benchmarks measure after a collection.
const child = spawn(process.execPath, ['--expose-gc', file, ...process.argv.slice(3)], {
  stdio: 'inherit',
});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
