import type { z } from 'zod';
import { coreErrors } from '../core-errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** One invalid variable: its name and what is wrong with it (never its value). */
export interface ConfigProblem {
  variable: string;
  message: string;
}

/**
 * Parses the environment against an app's schema once, at boot.
 * Every invalid variable is reported in one error, each by name, so an operator fixes them in one go.
 * Empty strings count as unset: `FOO=` in an env file should fall back to the default, not fail oddly.
 */
export function loadConfig<S extends z.ZodObject>(schema: S, env: Env = process.env): z.output<S> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems: ConfigProblem[] = result.error.issues.map((issue) => ({
    variable: issue.path.length > 0 ? issue.path.map(String).join('.') : '(config)',
    message: issue.message,
  }));
  const lines = problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n');
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  throw coreErrors.create(
    'CONFIG_INVALID',
    { problems },
    { message: `invalid configuration (${count}):\n${lines}` },
  );
}
