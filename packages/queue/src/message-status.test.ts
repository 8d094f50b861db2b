import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeRedis, createKeys, createRedis, type RedisClient } from '@wafleet/redis';
import { uniquePrefix, useRedis } from '@wafleet/test-support';
import {
  leaseValue,
  readMessageStatus,
  recordMessageStatus,
  type MessageStatus,
} from './message-status.js';

const redis = useRedis();

describe('message status record', () => {
  let client: RedisClient;
  let keys: ReturnType<typeof createKeys>;

  beforeEach(() => {
    client = createRedis({ url: redis.current.url });
    keys = createKeys(uniquePrefix('ms'));
  });
  afterEach(async () => {
    await closeRedis(client);
  });

  const record = (status: MessageStatus, extra: object = {}) =>
    recordMessageStatus(client, keys, 's1', 'M1', { status, ...extra });

  it.each<[MessageStatus[], MessageStatus, MessageStatus, 'applied' | 'ignored']>([
    [['queued'], 'sent', 'sent', 'applied'],
    [['queued', 'sent'], 'delivered', 'delivered', 'applied'],
    [['queued', 'sent', 'delivered'], 'read', 'read', 'applied'],
    [['queued'], 'read', 'read', 'applied'], // a read receipt may come without a delivered one
    [[], 'sent', 'sent', 'applied'], // the worker may write before the producer's "queued"
    [['sent'], 'queued', 'sent', 'ignored'], // the producer's late "queued" never rewinds
    [['delivered'], 'sent', 'delivered', 'ignored'],
    [['read'], 'delivered', 'read', 'ignored'],
    [['sent'], 'sent', 'sent', 'ignored'],
    [['queued'], 'failed', 'failed', 'applied'],
    [['sent'], 'failed', 'failed', 'applied'],
    [['delivered'], 'failed', 'delivered', 'ignored'], // the recipient has it: a late failure is wrong
    [['read'], 'failed', 'read', 'ignored'],
    [['failed'], 'sent', 'failed', 'ignored'], // failed is terminal
    [['failed'], 'read', 'failed', 'ignored'],
  ])('after %j, %s leaves %s (%s)', async (before, update, after, outcome) => {
    for (const status of before) await record(status);
    expect(await record(update)).toEqual({ outcome, status: after });
    expect((await readMessageStatus(client, keys, 's1', 'M1'))?.status).toBe(after);
  });

  it('keeps timestamps, the first job id and the failure reason, and expires', async () => {
    await record('queued', { at: 1000, jobId: 's1.J1' });
    await record('sent', { at: 2000, jobId: 's1.J2' });
    await record('failed', { at: 3000, reason: 'ack_timeout', error: 'no ack' });
    await recordMessageStatus(client, keys, 's1', 'M1', { status: 'sent' }, { ttlMs: 60_000 });
    expect(await readMessageStatus(client, keys, 's1', 'M1')).toMatchObject({
      status: 'failed',
      jobId: 's1.J1',
      queuedAt: 1000,
      sentAt: 2000,
      failedAt: 3000,
      reason: 'ack_timeout',
      error: 'no ack',
    });
    const ttl = await client.pttl(keys.message('s1', 'M1'));
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('returns undefined for a message it never saw', async () => {
    expect(await readMessageStatus(client, keys, 's1', 'nope')).toBeUndefined();
  });

  describe('fenced writes', () => {
    const fence = { leaseValue: leaseValue('w1', 7), minRemainingMs: 1000 };

    it('writes while the lease is ours with time left', async () => {
      await client.set(keys.lease('s1'), 'w1:7', 'PX', 10_000);
      expect(
        await recordMessageStatus(client, keys, 's1', 'M1', { status: 'sent' }, { fence }),
      ).toEqual({ outcome: 'applied', status: 'sent' });
    });

    it.each([
      ['someone else holds it', 'w2:8', 10_000, 'w2:8'],
      ['our older fence', 'w1:6', 10_000, 'w1:6'],
      ['it is about to expire', 'w1:7', 500, 'w1:7'],
    ])('refuses when %s', async (_label, holder, ttl, reported) => {
      await client.set(keys.lease('s1'), holder, 'PX', ttl);
      expect(
        await recordMessageStatus(client, keys, 's1', 'M1', { status: 'sent' }, { fence }),
      ).toEqual({ outcome: 'fenced_out', leaseHolder: reported });
      expect(await readMessageStatus(client, keys, 's1', 'M1')).toBeUndefined();
    });

    it('refuses when there is no lease at all', async () => {
      expect(
        await recordMessageStatus(client, keys, 's1', 'M1', { status: 'sent' }, { fence }),
      ).toEqual({ outcome: 'fenced_out', leaseHolder: undefined });
    });
  });
});
