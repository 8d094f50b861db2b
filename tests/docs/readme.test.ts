import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appConfigSchemas, replaceConfigTable } from '@wafleet/core';
import { repoRoot } from '@wafleet/test-support';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

describe('README', () => {
  it('has a config table that matches the zod schemas', () => {
    expect(replaceConfigTable(readme)).toBe(readme);
    for (const schema of Object.values(appConfigSchemas)) {
      for (const name of Object.keys(schema.shape)) expect(readme).toContain(`| \`${name}\` |`);
    }
  });

  it('names the two commands, and .ci/run calls the test command exactly', () => {
    expect(readme).toContain('bash infra/local/up.sh');
    expect(readme).toContain('bash infra/local/test.sh');
    const ci = readFileSync(join(repoRoot, '.ci/run'), 'utf8');
    expect(ci).toMatch(/^exec bash infra\/local\/test\.sh$/m);
  });
});
