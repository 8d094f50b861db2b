import type { RedisClient } from '@wafleet/redis';
import { ownershipErrors } from './errors.js';
import { registerScripts, runCommand, toInt, type Command } from './redis-commands.js';

/** The two keys of one fenced lease: the lease value and its fence counter (same hash slot). */
export interface LeaseKeyPair {
  readonly lease: string;
  readonly fence: string;
}

/** Outcome of an acquisition: a new fence, or who holds the lease and for how much longer. */
export type AcquireResult =
  | { readonly acquired: true; readonly fence: number }
  | { readonly acquired: false; readonly heldBy: string; readonly ttlMs: number };

/** The current holder of a lease. `ttlMs` is -1 if the lease somehow has no expiry. */
export interface LeaseHolder {
  readonly holder: string;
  readonly fence: number;
  readonly ttlMs: number;
}

/** `<holderId>:<fence>`, the stored lease value. */
export function leaseValue(holder: string, fence: number): string {
  return `${holder}:${fence}`;
}

/** Splits a stored lease value; null when it is not `<holderId>:<fence>`. */
export function parseLeaseValue(value: string): { holder: string; fence: number } | null {
  const at = value.lastIndexOf(':');
  if (at <= 0) return null;
  const fence = Number(value.slice(at + 1));
  if (!Number.isSafeInteger(fence) || fence < 0) return null;
  return { holder: value.slice(0, at), fence };
}

function unexpected(command: string, reply: unknown): Error {
  return ownershipErrors.create('UNEXPECTED_REPLY', { command, reply: JSON.stringify(reply) });
}

/**
 * Lease operations over any key pair, shared by session leases and the coordinator's leader lease.
 * Every operation is one Lua script, so check-and-change is atomic.
 */
export class FencedLease {
  constructor(private readonly redis: RedisClient) {
    registerScripts(redis);
  }

  async acquire(keys: LeaseKeyPair, holder: string, ttlMs: number): Promise<AcquireResult> {
    const reply = await runCommand(this.redis, {
      name: 'wafleetAcquireLease',
      args: [keys.lease, keys.fence, holder, ttlMs],
    });
    if (!Array.isArray(reply)) throw unexpected('acquire', reply);
    if (reply[0] === 1) return { acquired: true, fence: toInt(reply[1], 'acquire') };
    const held = typeof reply[1] === 'string' ? parseLeaseValue(reply[1]) : null;
    return {
      acquired: false,
      heldBy: held?.holder ?? String(reply[1]),
      ttlMs: toInt(reply[2], 'acquire'),
    };
  }

  renewCommand(keys: LeaseKeyPair, holder: string, fence: number, ttlMs: number): Command {
    return {
      name: 'wafleetRenewLease',
      args: [keys.lease, keys.fence, leaseValue(holder, fence), String(fence), ttlMs],
    };
  }

  async renew(keys: LeaseKeyPair, holder: string, fence: number, ttlMs: number): Promise<boolean> {
    const reply = await runCommand(this.redis, this.renewCommand(keys, holder, fence, ttlMs));
    return toInt(reply, 'renew') === 1;
  }

  async release(keys: LeaseKeyPair, holder: string, fence: number): Promise<boolean> {
    const reply = await runCommand(this.redis, {
      name: 'wafleetReleaseLease',
      args: [keys.lease, keys.fence, leaseValue(holder, fence)],
    });
    return toInt(reply, 'release') === 1;
  }

  expireCommand(keys: LeaseKeyPair, holder: string, fence?: number): Command {
    return {
      name: 'wafleetExpireLease',
      args: [keys.lease, keys.fence, holder, fence === undefined ? '' : String(fence)],
    };
  }

  readCommand(keys: LeaseKeyPair): Command {
    return { name: 'wafleetReadLease', args: [keys.lease, keys.fence] };
  }

  /** Parses a read reply into the holder (or null) and the fence counter (0 before any acquisition). */
  parseRead(reply: unknown): { holder: LeaseHolder | null; counter: number } {
    if (!Array.isArray(reply)) throw unexpected('read', reply);
    const [value, pttl, counter] = reply as unknown[];
    const parsedCounter = counter === null || counter === undefined ? 0 : toInt(counter, 'read');
    if (typeof value !== 'string') return { holder: null, counter: parsedCounter };
    const parsed = parseLeaseValue(value);
    if (!parsed) throw unexpected('read', value);
    return {
      holder: { holder: parsed.holder, fence: parsed.fence, ttlMs: toInt(pttl, 'read') },
      counter: parsedCounter,
    };
  }

  async read(keys: LeaseKeyPair): Promise<{ holder: LeaseHolder | null; counter: number }> {
    return this.parseRead(await runCommand(this.redis, this.readCommand(keys)));
  }
}
