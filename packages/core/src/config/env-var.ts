import type { z } from 'zod';

/** Documentation attached to one environment variable's schema; read by the README config table. */
export interface EnvVarMeta {
  description: string;
  /** Secrets have no default and are never printed (config errors name them, never their values). */
  secret?: boolean;
  example?: string;
}

/** Attaches documentation to an env var schema. */
export function envVar<T extends z.ZodType>(schema: T, meta: EnvVarMeta): T {
  return schema.meta({ ...meta });
}

/** Reads the documentation back from an env var schema. */
export function envVarMeta(schema: z.ZodType): EnvVarMeta | undefined {
  const meta = schema.meta() as Partial<EnvVarMeta> | undefined;
  if (!meta || typeof meta.description !== 'string') return undefined;
  return meta as EnvVarMeta;
}
