#!/usr/bin/env node
// `pnpm docs:config`: rewrites the README configuration table from the zod schemas.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { replaceConfigTable } from '@wafleet/core';

const readmePath = join(
  resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..'),
  'README.md',
);
const before = readFileSync(readmePath, 'utf8');
const after = replaceConfigTable(before);
if (process.argv.includes('--check')) {
  if (before !== after) {
    process.stderr.write('README.md config table is out of date: run pnpm docs:config\n');
    process.exit(1);
  }
} else {
  writeFileSync(readmePath, after);
  process.stdout.write(
    before === after
      ? 'README.md config table already up to date\n'
      : 'README.md config table updated\n',
  );
}
