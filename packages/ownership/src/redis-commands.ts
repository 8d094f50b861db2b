import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { RedisClient } from '@wafleet/redis';
import { ownershipErrors } from './errors.js';

/** The Lua scripts of this package, by ioredis command name. Names carry a prefix so they never clash. */
const SCRIPTS = {
  wafleetAcquireLease: { file: 'acquire-lease-2.lua', keys: 2 },
  wafleetRenewLease: { file: 'renew-lease-2.lua', keys: 2 },
  wafleetReleaseLease: { file: 'release-lease-2.lua', keys: 2 },
  wafleetExpireLease: { file: 'expire-lease-2.lua', keys: 2 },
  wafleetReadLease: { file: 'read-lease-2.lua', keys: 2 },
  wafleetHeartbeat: { file: 'heartbeat-1.lua', keys: 1 },
} as const;

export type ScriptName = keyof typeof SCRIPTS;

const sources = new Map<string, string>();

function source(file: string): string {
  let lua = sources.get(file);
  if (lua === undefined) {
    lua = readFileSync(new URL(`./${file}`, import.meta.url), 'utf8');
    sources.set(file, lua);
  }
  return lua;
}

const registered = new WeakSet<object>();

/** Registers this package's scripts on a client (once per client), via ioredis `defineCommand`. */
export function registerScripts(redis: RedisClient): void {
  if (registered.has(redis)) return;
  for (const [name, spec] of Object.entries(SCRIPTS)) {
    redis.defineCommand(name, { numberOfKeys: spec.keys, lua: source(spec.file) });
  }
  registered.add(redis);
}

/** One command for {@link runCommands}: a built-in or one of the registered scripts. */
export interface Command {
  readonly name: ScriptName | 'hset' | 'pexpire' | 'zrem' | 'del' | 'hgetall';
  readonly args: readonly (string | number)[];
}

/** The outcome of one command of a batch. */
export type Reply = { ok: true; value: unknown } | { ok: false; error: Error };

type CommandFn = (...args: (string | number)[]) => unknown;

function method(target: object, name: string): CommandFn {
  const fn = (target as Record<string, unknown>)[name];
  if (typeof fn !== 'function') throw new Error(`redis command ${name} is not registered`);
  return (fn as CommandFn).bind(target);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/** True for an ioredis Cluster (checked by flag, not `instanceof`, in case two ioredis copies exist). */
export function isCluster(redis: RedisClient): boolean {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/** Runs one command and returns its reply. */
export function runCommand(redis: RedisClient, command: Command): Promise<unknown> {
  try {
    return Promise.resolve(method(redis, command.name)(...command.args));
  } catch (err) {
    return Promise.reject(asError(err));
  }
}

/**
 * Runs many commands in one round trip (a pipeline) on a standalone/Sentinel client. On a Cluster
 * the keys of different sessions live in different slots, which one ioredis pipeline refuses, so
 * they are sent concurrently instead (still no waiting between them).
 */
export async function runCommands(
  redis: RedisClient,
  commands: readonly Command[],
): Promise<Reply[]> {
  if (commands.length === 0) return [];
  if (isCluster(redis)) {
    return Promise.all(
      commands.map((c) =>
        runCommand(redis, c).then(
          (value): Reply => ({ ok: true, value }),
          (err: unknown): Reply => ({ ok: false, error: asError(err) }),
        ),
      ),
    );
  }
  const pipeline = (redis as Redis).pipeline();
  for (const c of commands) method(pipeline, c.name)(...c.args);
  let results: [Error | null, unknown][] | null;
  try {
    results = await pipeline.exec();
  } catch (err) {
    const error = asError(err);
    return commands.map(() => ({ ok: false, error }));
  }
  return commands.map((_c, i): Reply => {
    const entry = results?.[i];
    if (!entry) return { ok: false, error: new Error('pipeline returned no reply') };
    return entry[0] ? { ok: false, error: entry[0] } : { ok: true, value: entry[1] };
  });
}

/** Parses an integer reply (RESP integers arrive as numbers, bulk strings as strings). */
export function toInt(reply: unknown, command: string): number {
  const n = typeof reply === 'number' ? reply : typeof reply === 'string' ? Number(reply) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw ownershipErrors.create('UNEXPECTED_REPLY', { command, reply: JSON.stringify(reply) });
  }
  return n;
}
