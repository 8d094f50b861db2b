import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '@wafleet/redis';
import { ownershipErrors } from './errors.js';
import { isCluster } from './redis-commands.js';

/** The Redis-side facts the coordinator weighs before expiring a worker's leases early. */
export interface FailoverEvidence {
  /** Client names of every open connection (worker connections are named by worker id). */
  clientNames: Set<string>;
  /** How long the Redis server has been up (the least of all nodes on a Cluster). */
  redisUptimeMs: number;
  /** How long the observer's own connection has been open (the least of all nodes on a Cluster). */
  observerConnectedForMs: number;
}

/** Names in a `CLIENT LIST` reply; unnamed connections are skipped. */
export function parseClientNames(clientList: string): Set<string> {
  const names = new Set<string>();
  for (const line of clientList.split('\n')) {
    // Fields are space separated `key=value`; CLIENT SETNAME forbids spaces in names.
    const match = /(?:^| )name=(\S*)/.exec(line);
    if (match?.[1]) names.add(match[1]);
  }
  return names;
}

/** Reads one integer `field:value` line of an INFO reply. */
export function infoField(info: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:(\\d+)\\s*$`, 'm').exec(info);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Redis reports ages as differences of whole seconds (`now_s - start_s`), which can overstate the
 * real age by up to a second; one second is taken off so an age is never overstated.
 */
function conservativeMs(seconds: number): number {
  return Math.max(0, seconds - 1) * 1000;
}

function nodesOf(redis: RedisClient): Redis[] {
  return isCluster(redis) ? (redis as Cluster).nodes('all') : [redis as Redis];
}

/** Client names of every connection to the server (every node of a Cluster). */
export async function connectedClientNames(redis: RedisClient): Promise<Set<string>> {
  const names = new Set<string>();
  for (const node of nodesOf(redis)) {
    for (const name of parseClientNames(String(await node.client('LIST')))) names.add(name);
  }
  return names;
}

/** The server's `uptime_in_seconds` in ms, less one second of rounding (the youngest node of a Cluster). */
export async function redisUptimeMs(redis: RedisClient): Promise<number> {
  let least = Infinity;
  for (const node of nodesOf(redis)) {
    const uptime = infoField(await node.info('server'), 'uptime_in_seconds');
    if (uptime === undefined) {
      throw ownershipErrors.create('UNEXPECTED_REPLY', { command: 'INFO', reply: 'no uptime' });
    }
    least = Math.min(least, conservativeMs(uptime));
  }
  return least;
}

/** How long this client's own connection has been open, from `CLIENT INFO` `age=` (Redis ≥ 6.2), less one second of rounding. */
export async function connectionAgeMs(redis: RedisClient): Promise<number> {
  let least = Infinity;
  for (const node of nodesOf(redis)) {
    const match = /(?:^| )age=(\d+)/.exec(String(await node.client('INFO')));
    if (!match?.[1]) {
      throw ownershipErrors.create('UNEXPECTED_REPLY', { command: 'CLIENT INFO', reply: 'no age' });
    }
    least = Math.min(least, conservativeMs(Number(match[1])));
  }
  return least;
}

/** Gathers {@link FailoverEvidence} from Redis. Ages are never overstated (see `conservativeMs`). */
export async function readFailoverEvidence(redis: RedisClient): Promise<FailoverEvidence> {
  const [clientNames, uptime, age] = await Promise.all([
    connectedClientNames(redis),
    redisUptimeMs(redis),
    connectionAgeMs(redis),
  ]);
  return { clientNames, redisUptimeMs: uptime, observerConnectedForMs: age };
}
