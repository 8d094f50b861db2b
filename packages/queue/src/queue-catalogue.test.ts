import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeRedis, createKeys, createRedis, type RedisClient } from '@wafleet/redis';
import { uniquePrefix, until, useRedis } from '@wafleet/test-support';
import { parseSendRequest } from './parse-send-request.js';
import {
  DEFAULT_SEND_JOB_SETTINGS,
  SEND_JOB_NAME,
  sendJobOptions,
  sendQueueOptions,
  sharedQueueOptions,
} from './queue-catalogue.js';

const redis = useRedis();

describe('queue catalogue', () => {
  const keys = createKeys('wf');

  it('puts each session queue under the session hash tag, shared queues under :q', () => {
    expect(sendQueueOptions(keys, 's7')).toEqual({ name: 'send', prefix: 'wf:{s:s7}' });
    expect(sharedQueueOptions(keys, 'webhooks')).toEqual({ name: 'webhooks', prefix: 'wf:q' });
    expect(sharedQueueOptions(keys, 'alerts')).toEqual({ name: 'alerts', prefix: 'wf:q' });
  });

  describe('with BullMQ', () => {
    let client: RedisClient;
    let queue: Queue;
    let testKeys: ReturnType<typeof createKeys>;

    beforeEach(() => {
      client = createRedis({ url: redis.current.url });
      testKeys = createKeys(uniquePrefix('cat'));
      const address = sendQueueOptions(testKeys, 's1');
      queue = new Queue(address.name, {
        connection: client as unknown as ConnectionOptions,
        prefix: address.prefix,
      });
    });
    afterEach(async () => {
      await queue.close();
      await closeRedis(client);
    });

    const job = (key: string) =>
      parseSendRequest(
        {
          sessionId: 's1',
          to: '15551234567',
          content: { type: 'text', text: key },
          options: { idempotencyKey: key },
        },
        {},
      );

    it('is accepted by BullMQ and keeps every queue key in the session slot', async () => {
      const added = await queue.add(SEND_JOB_NAME, job('k1'), sendJobOptions(job('k1')));
      expect(added.id).toBe(`s1.${job('k1').messageId}`);
      const found = await redis.current.client.keys(`${testKeys.prefix}:*`);
      expect(found.length).toBeGreaterThan(0);
      for (const key of found) expect(/\{([^}]*)\}/.exec(key)?.[1], key).toBe('s:s1');
    });

    it('returns the existing job for a duplicate, also after retention removed it', async () => {
      // Completed jobs removed at once, so the second add meets only the deduplication key.
      const settings = {
        ...DEFAULT_SEND_JOB_SETTINGS,
        keepCompleted: { ageSeconds: 60, count: 0 },
      };
      const first = job('dup');
      const a = await queue.add(SEND_JOB_NAME, first, sendJobOptions(first, settings));
      const b = await queue.add(SEND_JOB_NAME, job('dup'), sendJobOptions(job('dup'), settings));
      expect(b.id).toBe(a.id);
      expect(await queue.getJobCountByTypes('wait', 'prioritized')).toBe(1);

      const address = sendQueueOptions(testKeys, 's1');
      // A Worker's connection must be a 'blocking' one: BullMQ duplicates it for BZPOPMIN.
      const workerConnection = createRedis({ url: redis.current.url, role: 'blocking' });
      const worker = new Worker(address.name, () => Promise.resolve('done'), {
        connection: workerConnection as unknown as ConnectionOptions,
        prefix: address.prefix,
      });
      try {
        await until(async () => (await queue.getJob(a.id!)) === undefined, { what: 'job removed' });
      } finally {
        await worker.close();
        await closeRedis(workerConnection);
      }
      const dedupTtl = await redis.current.client.pttl(queue.toKey(`de:${first.messageId}`));
      expect(dedupTtl).toBeGreaterThan(settings.idempotencyWindowMs - 60_000);

      const c = await queue.add(SEND_JOB_NAME, job('dup'), sendJobOptions(job('dup'), settings));
      expect(c.id).toBe(a.id);
      expect(await queue.getJob(a.id!)).toBeUndefined();
      expect(await queue.getJobCountByTypes('wait', 'prioritized', 'active', 'completed')).toBe(0);
    });
  });
});
