import { Queue, type ConnectionOptions } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeRedis, createKeys, createRedis, type Keys, type RedisClient } from '@wafleet/redis';
import { uniquePrefix, until, useRedis } from '@wafleet/test-support';
import { SendError } from './errors.js';
import { readMessageStatus } from './message-status.js';
import { parseSendRequest } from './parse-send-request.js';
import {
  DEFAULT_SEND_JOB_SETTINGS,
  SEND_JOB_NAME,
  sendJobOptions,
  sendQueueOptions,
} from './queue-catalogue.js';
import type { SendJob, SendOptionsInput } from './send-job.schema.js';
import type { SendContext, SendResult, SendTransport } from './send-transport.js';
import {
  SessionSendConsumer,
  lastFailureOf,
  triesOf,
  type SendConsumerEvent,
  type SessionSendConsumerOptions,
} from './session-send-consumer.js';

const redis = useRedis();

/** One recorded call of the test transport. */
interface SentCall {
  messageId: string;
  text: string;
  at: number;
  attempt: number;
  signal: AbortSignal;
}

type Behaviour = (job: SendJob, context: SendContext, call: number) => Promise<SendResult>;

/** A transport that records what it is asked to send; `behave` decides each call's outcome. */
function testTransport(open = true) {
  const listeners = new Set<(open: boolean) => void>();
  const sends: SentCall[] = [];
  let behaviour: Behaviour = (job) =>
    Promise.resolve({ messageId: job.messageId, sentAt: Date.now() });
  const transport: SendTransport = {
    send(job, context) {
      const text = job.content.type === 'text' ? job.content.text : job.content.type;
      sends.push({
        messageId: job.messageId,
        text,
        at: Date.now(),
        attempt: context.attempt,
        signal: context.signal,
      });
      return behaviour(job, context, sends.length);
    },
    isOpen: () => open,
    onOpenChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    transport,
    sends,
    behave(next: Behaviour) {
      behaviour = next;
    },
    setOpen(next: boolean) {
      open = next;
      for (const listener of listeners) listener(next);
    },
  };
}

describe('SessionSendConsumer', () => {
  const sessionId = 's1';
  let keys: Keys;
  let producer: RedisClient;
  let shared: RedisClient;
  let queue: Queue<SendJob, SendResult>;
  let events: SendConsumerEvent[];
  const consumers: SessionSendConsumer[] = [];
  const settings = { ...DEFAULT_SEND_JOB_SETTINGS, attempts: 4, backoffBaseMs: 20 };

  beforeEach(async () => {
    keys = createKeys(uniquePrefix('ssc'));
    producer = createRedis({ url: redis.current.url });
    shared = createRedis({ url: redis.current.url, role: 'blocking', connectionName: 'w1' });
    const address = sendQueueOptions(keys, sessionId);
    queue = new Queue(address.name, {
      connection: producer as unknown as ConnectionOptions,
      prefix: address.prefix,
    });
    events = [];
    // The ownership package holds this lease; here the test plays the owner.
    await producer.set(keys.lease(sessionId), 'w1:1', 'PX', 120_000);
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close()));
    await queue.close();
    await closeRedis(shared);
    await closeRedis(producer);
  });

  function consumer(
    transport: SendTransport,
    extra: Partial<SessionSendConsumerOptions> = {},
  ): SessionSendConsumer {
    const c = new SessionSendConsumer({
      sessionId,
      keys,
      connection: shared,
      lease: { workerId: 'w1', fence: 1 },
      transport,
      rateLimit: { max: 10_000, durationMs: 1000 },
      ackTimeoutMs: 5_000,
      onEvent: (event) => events.push(event),
      ...extra,
    });
    consumers.push(c);
    return c;
  }

  async function enqueue(text: string, options: SendOptionsInput = {}): Promise<SendJob> {
    const job = parseSendRequest({
      sessionId,
      to: '+15551234567',
      content: { type: 'text', text },
      options: { idempotencyKey: `key-${text}`, ...options },
    });
    await queue.add(SEND_JOB_NAME, job, sendJobOptions(job, settings));
    return job;
  }

  const jobOf = async (job: SendJob) => (await queue.getJob(`${sessionId}.${job.messageId}`))!;

  it('sends 200 jobs in enqueue order with concurrency 1', async () => {
    const t = testTransport();
    const texts = Array.from({ length: 200 }, (_, i) => `m${i}`);
    const jobs: SendJob[] = [];
    for (const text of texts.slice(0, 100)) jobs.push(await enqueue(text));
    await consumer(t.transport).start();
    for (const text of texts.slice(100)) jobs.push(await enqueue(text));

    await until(async () => (await queue.getCompletedCount()) === 200, {
      timeoutMs: 30_000,
      what: '200 completed',
    });
    expect(t.sends.map((s) => s.text)).toEqual(texts);
    const last = await jobOf(jobs.at(-1)!);
    expect(last.returnvalue).toEqual({
      messageId: last.data.messageId,
      sentAt: expect.any(Number),
    });
    expect((await readMessageStatus(shared, keys, sessionId, last.data.messageId))?.status).toBe(
      'sent',
    );
    expect(events.filter((e) => e.type === 'message.sent')).toHaveLength(200);
  });

  it('waits while the session is closed (no attempt used) and sends everything once open', async () => {
    const t = testTransport(false);
    const c = consumer(t.transport);
    await c.start();
    const jobs = [await enqueue('a'), await enqueue('b'), await enqueue('c')];
    // Give a wrongly running worker ample time to pick jobs up before asserting that none was.
    await new Promise((r) => setTimeout(r, 500));
    expect(c.state).toBe('idle');
    expect(t.sends).toHaveLength(0);
    for (const job of jobs) {
      const stored = await jobOf(job);
      expect(['waiting', 'prioritized']).toContain(await stored.getState());
      expect(stored.attemptsMade).toBe(0);
    }

    t.setOpen(true);
    await until(async () => (await queue.getCompletedCount()) === 3, { what: '3 completed' });
    expect(t.sends.map((s) => s.text)).toEqual(['a', 'b', 'c']);

    // Closed again: the worker pauses; a job enqueued now waits until the next open.
    t.setOpen(false);
    await until(() => c.state === 'paused', { what: 'paused' });
    const d = await enqueue('d');
    await new Promise((r) => setTimeout(r, 500));
    expect(t.sends).toHaveLength(3);
    expect((await jobOf(d)).attemptsMade).toBe(0);
    t.setOpen(true);
    await until(async () => (await jobOf(d)).finishedOn !== undefined, { what: 'd sent' });
    expect(t.sends.map((s) => s.text)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('hands a send back without using an attempt when the socket closes under it', async () => {
    const t = testTransport();
    t.behave((job, _ctx, call) => {
      if (call === 1) {
        t.setOpen(false);
        return Promise.reject(new SendError('socket_closed', 'connection closed'));
      }
      return Promise.resolve({ messageId: job.messageId, sentAt: Date.now() });
    });
    const c = consumer(t.transport);
    await c.start();
    const first = await enqueue('first');
    const second = await enqueue('second');
    await until(() => c.state === 'paused', { what: 'paused' });
    const stored = await jobOf(first);
    expect(stored.attemptsMade).toBe(0);
    expect(['waiting', 'prioritized']).toContain(await stored.getState());

    t.setOpen(true);
    await until(async () => (await jobOf(second)).finishedOn !== undefined, { what: 'both sent' });
    expect(t.sends.map((s) => s.text)).toEqual(['first', 'first', 'second']);
    expect((await jobOf(first)).attemptsMade).toBe(1);
  });

  it('fails a permanent error once, without retries, and records the reason', async () => {
    const t = testTransport();
    t.behave(() => Promise.reject(new SendError('not_on_whatsapp', '15551234567 has no account')));
    await consumer(t.transport).start();
    const job = await enqueue('nobody');
    await until(async () => (await jobOf(job)).finishedOn !== undefined, { what: 'failed' });

    const stored = await jobOf(job);
    expect(await stored.getState()).toBe('failed');
    expect(stored.attemptsMade).toBe(1);
    expect(stored.failedReason).toBe('not_on_whatsapp: 15551234567 has no account');
    expect(t.sends).toHaveLength(1);
    expect(await readMessageStatus(shared, keys, sessionId, job.messageId)).toMatchObject({
      status: 'failed',
      reason: 'not_on_whatsapp',
      error: '15551234567 has no account',
      jobId: stored.id,
    });
    expect(events).toContainEqual(
      expect.objectContaining({
        type: 'message.failed',
        reason: 'not_on_whatsapp',
        attemptsMade: 1,
      }),
    );
  });

  it('retries a transient error with backoff and the same message id', async () => {
    const t = testTransport();
    t.behave((job, _ctx, call) =>
      call <= 2
        ? Promise.reject(new SendError('timeout', `try ${call} timed out`))
        : Promise.resolve({ messageId: job.messageId, sentAt: Date.now() }),
    );
    await consumer(t.transport).start();
    const job = await enqueue('flaky');
    await until(async () => (await jobOf(job)).finishedOn !== undefined, { what: 'completed' });

    const stored = await jobOf(job);
    expect(await stored.getState()).toBe('completed');
    expect(t.sends.map((s) => s.messageId)).toEqual([job.messageId, job.messageId, job.messageId]);
    expect(t.sends.map((s) => s.attempt)).toEqual([1, 2, 3]);
    expect(events.filter((e) => e.type === 'message.retrying')).toHaveLength(2);
    expect(events.at(-1)).toMatchObject({
      type: 'message.sent',
      messageId: job.messageId,
      enqueuedAt: stored.timestamp,
    });
  });

  it('keeps per-session order when a send is retried: later jobs wait for it', async () => {
    const t = testTransport(false);
    t.behave((job, _ctx, call) =>
      call <= 2
        ? Promise.reject(new SendError('timeout', `try ${call} timed out`))
        : Promise.resolve({ messageId: job.messageId, sentAt: Date.now() }),
    );
    await consumer(t.transport).start();
    const jobs = [];
    for (let i = 0; i < 5; i++) jobs.push(await enqueue(`ordered-${i}`, { priority: 50 }));
    t.setOpen(true);
    await until(() => t.sends.length === 7, { what: '7 sends (2 retries)' });
    expect(t.sends.map((s) => s.text)).toEqual([
      'ordered-0',
      'ordered-0',
      'ordered-0',
      'ordered-1',
      'ordered-2',
      'ordered-3',
      'ordered-4',
    ]);
    const first = await jobOf(jobs[0]!);
    await until(async () => (await first.getState()) === 'completed', { what: 'completed' });
    const done = await jobOf(jobs[0]!);
    expect(done.attemptsMade + triesOf(done)).toBe(3);
    // Why it was retried stays readable (a status read during the retries reports it).
    expect(lastFailureOf(done)).toBe('timeout: try 2 timed out');
  });

  it('fails with the last transient reason when attempts run out', async () => {
    const t = testTransport();
    t.behave(() => Promise.reject(new Error('something odd')));
    await consumer(t.transport).start();
    const job = await enqueue('doomed');
    await until(async () => (await jobOf(job)).finishedOn !== undefined, { what: 'failed' });
    const stored = await jobOf(job);
    expect(stored.attemptsMade + triesOf(stored)).toBe(settings.attempts);
    expect(stored.failedReason).toBe('unknown: something odd');
    expect(t.sends).toHaveLength(settings.attempts);
    expect((await readMessageStatus(shared, keys, sessionId, job.messageId))?.reason).toBe(
      'unknown',
    );
  });

  it('fails an expired job with reason expired and never sends it', async () => {
    const t = testTransport(false);
    await consumer(t.transport).start();
    const expiresAt = Date.now() + 300;
    const job = await enqueue('late', { expiresAt });
    await until(() => Date.now() > expiresAt, { what: 'expiry passed' });
    t.setOpen(true);
    await until(async () => (await jobOf(job)).finishedOn !== undefined, { what: 'failed' });
    const stored = await jobOf(job);
    expect(stored.failedReason).toMatch(/^expired: expired at /);
    expect(stored.attemptsMade).toBe(1);
    expect(t.sends).toHaveLength(0);
    expect((await readMessageStatus(shared, keys, sessionId, job.messageId))?.status).toBe(
      'failed',
    );
  });

  it('retries a send whose ack does not come in time, with the same id', async () => {
    const t = testTransport();
    t.behave((job, _ctx, call) =>
      call === 1
        ? new Promise<SendResult>(() => {}) // the server never acks
        : Promise.resolve({ messageId: job.messageId, sentAt: Date.now() }),
    );
    await consumer(t.transport, { ackTimeoutMs: 300 }).start();
    const job = await enqueue('slow-ack');
    await until(async () => (await jobOf(job)).finishedOn !== undefined, { what: 'completed' });

    expect(t.sends.map((s) => s.messageId)).toEqual([job.messageId, job.messageId]);
    expect(t.sends[0]!.signal.aborted).toBe(true);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'message.retrying', reason: 'ack_timeout' }),
    );
    expect(await (await jobOf(job)).getState()).toBe('completed');
  });

  it('keeps to the rate limit: at most 5 sends in any second', async () => {
    const t = testTransport(false);
    await consumer(t.transport, { rateLimit: { max: 5, durationMs: 1000 } }).start();
    for (let i = 0; i < 15; i++) await enqueue(`r${i}`);
    t.setOpen(true);
    await until(() => t.sends.length === 15, { timeoutMs: 15_000, what: '15 sent' });

    const at = t.sends.map((s) => s.at);
    const windows = at.slice(5).map((time, i) => time - at[i]!);
    // Each send is at least one window after the send five before it (a few ms of clock slack).
    for (const gap of windows) expect(gap).toBeGreaterThanOrEqual(1000 - 15);
    expect(at.at(-1)! - at[0]!).toBeGreaterThanOrEqual(2000 - 15);
  });

  it('keeps a random gap between sends when asked to', async () => {
    const t = testTransport(false);
    await consumer(t.transport, {
      rateLimit: { max: 1000, durationMs: 1000, randomGapMs: { min: 150, max: 250 } },
    }).start();
    for (let i = 0; i < 6; i++) await enqueue(`g${i}`);
    t.setOpen(true);
    await until(() => t.sends.length === 6, { what: '6 sent' });
    const at = t.sends.map((s) => s.at);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(150 - 2);
  });

  it('refuses to complete a job once the lease changed hands; the new owner sends it', async () => {
    const t = testTransport();
    t.behave(async (job, _ctx, call) => {
      // While the old owner is sending, the lease expires and another worker takes it.
      if (call === 1) await producer.set(keys.lease(sessionId), 'w2:2', 'PX', 120_000);
      return { messageId: job.messageId, sentAt: Date.now() };
    });
    const old = consumer(t.transport);
    await old.start();
    const job = await enqueue('contested');
    await until(() => old.state === 'fenced_out', { what: 'fenced out' });

    const stored = await jobOf(job);
    await until(async () => ['waiting', 'prioritized'].includes(await stored.getState()), {
      what: 'job back in the queue',
    });
    expect((await jobOf(job)).attemptsMade).toBe(0);
    expect(await readMessageStatus(shared, keys, sessionId, job.messageId)).toBeUndefined();
    expect(events).toContainEqual({ type: 'consumer.fenced_out', sessionId, leaseHolder: 'w2:2' });
    expect(events.some((e) => e.type === 'message.sent')).toBe(false);

    // The fenced-out consumer takes nothing more, even though its transport is still open.
    const next = await enqueue('after');
    await new Promise((r) => setTimeout(r, 300));
    expect(t.sends).toHaveLength(1);

    const t2 = testTransport();
    await consumer(t2.transport, { lease: { workerId: 'w2', fence: 2 } }).start();
    await until(async () => (await jobOf(next)).finishedOn !== undefined, {
      what: 'new owner sent',
    });
    // Same message id again: WhatsApp shows the recipient one message.
    expect(t2.sends.map((s) => s.messageId)).toEqual([job.messageId, next.messageId]);
    expect(await (await jobOf(job)).getState()).toBe('completed');
  });

  it('close() lets the in-flight send finish and complete', async () => {
    const t = testTransport();
    let release: (() => void) | undefined;
    t.behave(
      (job) =>
        new Promise((resolve) => {
          release = () => resolve({ messageId: job.messageId, sentAt: Date.now() });
        }),
    );
    const c = consumer(t.transport);
    await c.start();
    expect(c.state).toBe('running');
    const job = await enqueue('in-flight');
    await until(() => release, { what: 'send started' });
    let closed = false;
    const closing = c.close().then(() => (closed = true));
    // Several Redis round trips later the close is still waiting for the send.
    expect(await (await jobOf(job)).getState()).toBe('active');
    expect(closed).toBe(false);
    expect(c.state).toBe('closed');
    release!();
    await closing;
    expect(await (await jobOf(job)).getState()).toBe('completed');
  });

  it('does not send when the fence check says the session was lost', async () => {
    const t = testTransport();
    const c = consumer(t.transport, { fenceCheck: () => false });
    await c.start();
    const job = await enqueue('never');
    await until(() => c.state === 'fenced_out', { what: 'fenced out' });
    expect(t.sends).toHaveLength(0);
    expect((await jobOf(job)).attemptsMade).toBe(0);
  });

  it('fails a malformed payload permanently with the validation message', async () => {
    const t = testTransport();
    await consumer(t.transport).start();
    const good = parseSendRequest({
      sessionId,
      to: '15551234567',
      content: { type: 'text', text: 'x' },
      options: { idempotencyKey: 'bad-payload' },
    });
    const bad: SendJob = { ...good, content: { type: 'text', text: '' } };
    await queue.add(SEND_JOB_NAME, bad, sendJobOptions(good, settings));
    const id = `${sessionId}.${good.messageId}`;
    await until(async () => (await queue.getJob(id))?.finishedOn !== undefined, { what: 'failed' });
    const stored = (await queue.getJob(id))!;
    expect(stored.failedReason).toBe(
      'invalid_payload: invalid send request: content.text: must not be empty',
    );
    expect(stored.attemptsMade).toBe(1);
    expect(t.sends).toHaveLength(0);
  });

  it('opens one Redis connection per session when given a shared one', async () => {
    const count = async () => String(await redis.current.client.client('LIST'));
    const before = (await count()).trim().split('\n').length;
    const started = ['a1', 'a2', 'a3'].map((id) => {
      const c = new SessionSendConsumer({
        sessionId: id,
        keys,
        connection: shared,
        lease: { workerId: 'w1', fence: 1 },
        transport: testTransport().transport,
      });
      consumers.push(c);
      return c.start();
    });
    await Promise.all(started);
    const list = (await count()).trim().split('\n');
    expect(list.length - before).toBe(3);
    // BullMQ names its blocking connection `<prefix>:<base64 queue name>:w:<worker name>`.
    expect(list.filter((line) => /name=\S+:w:w1 /.test(line))).toHaveLength(3);
  });
});
