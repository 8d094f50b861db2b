import { Queue, type ConnectionOptions } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeRedis, createKeys, createRedis, type RedisClient } from '@wafleet/redis';
import {
  DEFAULT_SEND_JOB_SETTINGS,
  deriveMessageId,
  SendError,
  SendValidationError,
  SessionSendConsumer,
  sendQueueOptions,
  type SendJob,
  type SendResult,
  type SendTransport,
} from '@wafleet/queue';
import { uniquePrefix, useRedis } from '@wafleet/test-support';
import {
  InvalidJobIdError,
  JobNotFoundError,
  SendFailedError,
  WaitTimeoutError,
} from './errors.js';
import { WafleetClient } from './wafleet-client.js';

const redis = useRedis();

/** A session transport for tests: records sends; `fail` makes every send throw. */
function testTransport(open = true) {
  const sends: string[] = [];
  let fail: Error | undefined;
  const transport: SendTransport = {
    send(job) {
      sends.push(job.messageId);
      return fail
        ? Promise.reject(fail)
        : Promise.resolve({ messageId: job.messageId, sentAt: Date.now() });
    },
    isOpen: () => open,
    onOpenChange: () => () => {},
  };
  return {
    transport,
    sends,
    failWith(err: Error) {
      fail = err;
    },
  };
}

describe('WafleetClient', () => {
  let prefix: string;
  let client: WafleetClient;
  let inspect: RedisClient;
  let queue: Queue<SendJob, SendResult>;
  const consumers: SessionSendConsumer[] = [];
  const extraClients: WafleetClient[] = [];

  beforeEach(() => {
    prefix = uniquePrefix('cl');
    client = new WafleetClient({ redisUrl: redis.current.url, prefix });
    inspect = createRedis({ url: redis.current.url, role: 'blocking' });
    const address = sendQueueOptions(createKeys(prefix), 's1');
    queue = new Queue(address.name, {
      connection: inspect as unknown as ConnectionOptions,
      prefix: address.prefix,
    });
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((c) => c.close()));
    await Promise.all(extraClients.splice(0).map((c) => c.close()));
    await client.close();
    await queue.close();
    await closeRedis(inspect);
  });

  async function startConsumer(transport: SendTransport, sessionId = 's1') {
    const keys = createKeys(prefix);
    await inspect.set(keys.lease(sessionId), 'w1:1', 'PX', 60_000);
    const consumer = new SessionSendConsumer({
      sessionId,
      keys,
      connection: inspect,
      lease: { workerId: 'w1', fence: 1 },
      transport,
      rateLimit: { max: 1000, durationMs: 1000 },
    });
    consumers.push(consumer);
    await consumer.start();
    return consumer;
  }

  const totalJobs = async () =>
    Object.values(await queue.getJobCounts()).reduce((sum, n) => sum + n, 0);

  it('enqueues a validated job whose id and message id derive from the idempotency key', async () => {
    const sent = await client.send(
      's1',
      '+1 555 123 4567',
      { type: 'text', text: 'hello' },
      {
        idempotencyKey: 'order-1',
      },
    );
    const messageId = deriveMessageId('s1', 'order-1');
    expect(sent).toEqual({ jobId: `s1.${messageId}`, messageId });
    const job = (await queue.getJob(sent.jobId))!;
    expect(job.data).toMatchObject({ v: 1, to: '15551234567@s.whatsapp.net', messageId });
    expect(await client.getStatus(sent.jobId)).toMatchObject({
      state: 'waiting',
      attemptsMade: 0,
      message: { status: 'queued', jobId: sent.jobId },
    });
  });

  it('gives each send without a key its own job', async () => {
    const a = await client.send('s1', '15551234567', { type: 'text', text: 'x' });
    const b = await client.send('s1', '15551234567', { type: 'text', text: 'x' });
    expect(a.jobId).not.toBe(b.jobId);
    expect(await totalJobs()).toBe(2);
  });

  it('makes the same idempotency key one job and one message', async () => {
    const content = { type: 'text', text: 'once' } as const;
    const first = await client.send('s1', '15551234567', content, { idempotencyKey: 'k' });
    const again = await client.send('s1', '15551234567', content, { idempotencyKey: 'k' });
    expect(again).toEqual(first);
    expect(await totalJobs()).toBe(1);

    const t = testTransport();
    await startConsumer(t.transport);
    await client.waitUntilSent('s1', first.jobId, 10_000);
    const third = await client.send('s1', '15551234567', content, { idempotencyKey: 'k' });
    expect(third).toEqual(first);
    // Enqueueing a sent key again neither re-sends nor rewinds its status.
    expect((await client.getStatus(first.jobId))?.message?.status).toBe('sent');
    expect(t.sends).toEqual([first.messageId]);
  });

  it('creates exactly one job when two producers race with the same keys', async () => {
    const other = new WafleetClient({ redisUrl: redis.current.url, prefix });
    extraClients.push(other);
    const keys = Array.from({ length: 25 }, (_, i) => `race-${i}`);
    const results = await Promise.all(
      keys.flatMap((key) => [
        client.send(
          's1',
          '15551234567',
          { type: 'text', text: `a ${key}` },
          { idempotencyKey: key },
        ),
        other.send(
          's1',
          '15551234567',
          { type: 'text', text: `b ${key}` },
          { idempotencyKey: key },
        ),
      ]),
    );
    for (let i = 0; i < results.length; i += 2) expect(results[i + 1]).toEqual(results[i]);
    expect(await totalJobs()).toBe(25);
  });

  it('keeps the key claimed after retention removed the finished job', async () => {
    const eager = new WafleetClient({
      redisUrl: redis.current.url,
      prefix,
      jobSettings: { ...DEFAULT_SEND_JOB_SETTINGS, keepCompleted: { ageSeconds: 60, count: 0 } },
    });
    extraClients.push(eager);
    const t = testTransport();
    await startConsumer(t.transport);
    const first = await eager.send(
      's1',
      '15551234567',
      { type: 'text', text: 'x' },
      { idempotencyKey: 'gone' },
    );
    const result = await eager.waitUntilSent('s1', first.jobId, 10_000);
    expect(await queue.getJob(first.jobId)).toBeUndefined();

    // The status now comes from the message record alone.
    expect(await eager.getStatus({ sessionId: 's1', messageId: first.messageId })).toMatchObject({
      state: 'completed',
      result,
      attemptsMade: undefined,
    });
    const again = await eager.send(
      's1',
      '15551234567',
      { type: 'text', text: 'x' },
      { idempotencyKey: 'gone' },
    );
    expect(again).toEqual(first);
    expect(await totalJobs()).toBe(0);
    expect(t.sends).toEqual([first.messageId]);
  });

  it('resolves waitUntilSent with the job result', async () => {
    await startConsumer(testTransport().transport);
    const sent = await client.send('s1', '15551234567', { type: 'text', text: 'hi' });
    const result = await client.waitUntilSent('s1', sent.jobId, 10_000);
    expect(result).toEqual({ messageId: sent.messageId, sentAt: expect.any(Number) });
    expect(await client.getStatus({ sessionId: 's1', messageId: sent.messageId })).toMatchObject({
      state: 'completed',
      result,
      message: { status: 'sent', sentAt: result.sentAt },
    });
  });

  it('rejects waitUntilSent with SendFailedError and the reason when the send fails for good', async () => {
    const t = testTransport();
    t.failWith(new SendError('session_logged_out', 'device was unlinked'));
    await startConsumer(t.transport);
    const sent = await client.send('s1', '15551234567', { type: 'text', text: 'hi' });
    const err = await client.waitUntilSent('s1', sent.jobId, 10_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendFailedError);
    expect(err).toMatchObject({ reason: 'session_logged_out', jobId: sent.jobId, attemptsMade: 1 });
    expect((err as Error).message).toBe(
      `send ${sent.jobId} failed: session_logged_out: device was unlinked`,
    );
    expect(await client.getStatus(sent.jobId)).toMatchObject({
      state: 'failed',
      failure: { reason: 'session_logged_out', message: 'device was unlinked' },
    });
  });

  it('rejects waitUntilSent with WaitTimeoutError while the session is offline', async () => {
    await startConsumer(testTransport(false).transport);
    const sent = await client.send('s1', '15551234567', { type: 'text', text: 'hi' });
    const started = Date.now();
    const err = await client.waitUntilSent('s1', sent.jobId, 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err).toMatchObject({ state: 'waiting', timeoutMs: 300 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
  });

  it('refuses job ids it did not make and reports unknown jobs', async () => {
    await expect(client.getStatus('not-a-job-id')).rejects.toBeInstanceOf(InvalidJobIdError);
    const other = `s2.${deriveMessageId('s2', 'x')}`;
    await expect(client.waitUntilSent('s1', other, 100)).rejects.toBeInstanceOf(InvalidJobIdError);
    expect(await client.getStatus(`s1.${deriveMessageId('s1', 'never')}`)).toBeUndefined();
    await expect(
      client.waitUntilSent('s1', `s1.${deriveMessageId('s1', 'never')}`, 100),
    ).rejects.toBeInstanceOf(JobNotFoundError);
  });

  describe('rejects malformed sends at enqueue, naming the field; nothing reaches Redis', () => {
    const hour = 60 * 60 * 1000;
    const ok = {
      sessionId: 's1',
      to: '+15551234567',
      content: { type: 'text', text: 'hi' } as unknown,
    };
    const image = (extra: object) => ({
      ...ok,
      content: { type: 'image', url: 'https://x.example/a.jpg', ...extra },
    });
    const doc = {
      type: 'document',
      url: 'https://x.example/a.pdf',
      fileName: 'a.pdf',
      mimetype: 'application/pdf',
    };
    const contact = {
      type: 'contact',
      displayName: 'Ada',
      vcard: 'BEGIN:VCARD\nFN:Ada\nEND:VCARD',
    };
    const reaction = { type: 'reaction', targetMessageId: '3EB0AB', emoji: '👍' };
    const location = { type: 'location', latitude: 1, longitude: 2 };
    const bigBase64 = 'A'.repeat(Math.ceil((16 * 1024 * 1024 + 3) / 3) * 4);
    type Case = [
      label: string,
      request: { sessionId?: unknown; to?: unknown; content?: unknown; options?: unknown },
      expected: string,
    ];
    const cases: Case[] = [
      ['session id of wrong type', { ...ok, sessionId: 42 }, 'sessionId: must be a string'],
      [
        'session id with a space',
        { ...ok, sessionId: 'my session' },
        'sessionId: must be 1-64 characters',
      ],
      ['empty session id', { ...ok, sessionId: '' }, 'sessionId: must be 1-64 characters'],
      ['number as a number', { ...ok, to: 15551234567 }, 'to: must be a string'],
      ['too short number', { ...ok, to: '123' }, 'to: must be an E.164 number like +15551234567'],
      ['letters in number', { ...ok, to: '+1 555 CALL NOW' }, 'to: must be an E.164 number'],
      ['national format', { ...ok, to: '05551234567' }, 'to: must be an E.164 number'],
      ['16 digits', { ...ok, to: '+1234567890123456' }, 'to: must be an E.164 number'],
      ['email address', { ...ok, to: 'ada@example.com' }, 'to: must be an E.164 number'],
      ['device jid', { ...ok, to: '15551234567:3@s.whatsapp.net' }, 'to: must be an E.164 number'],
      ['null content', { ...ok, content: null }, 'content: must be an object'],
      ['string content', { ...ok, content: 'hi' }, 'content: must be an object'],
      [
        'unknown content type',
        { ...ok, content: { type: 'poll', question: '?' } },
        'content.type: must be one of text, image, video, audio, document, sticker, location, contact, reaction',
      ],
      ['content without type', { ...ok, content: { text: 'hi' } }, 'content.type: must be one of'],
      [
        'empty text',
        { ...ok, content: { type: 'text', text: '' } },
        'content.text: must not be empty',
      ],
      [
        'huge text',
        { ...ok, content: { type: 'text', text: 'x'.repeat(65_537) } },
        'content.text: must be at most 65536 characters',
      ],
      [
        'text of wrong type',
        { ...ok, content: { type: 'text', text: 42 } },
        'content.text: must be a string',
      ],
      [
        'caption on text',
        { ...ok, content: { type: 'text', text: 'hi', caption: 'c' } },
        'content.caption: is not a known field',
      ],
      [
        'bad mention',
        { ...ok, content: { type: 'text', text: 'hi', mentions: ['abc'] } },
        'content.mentions[0]: must be an E.164 number',
      ],
      [
        'mentions not a list',
        { ...ok, content: { type: 'text', text: 'hi', mentions: '+15551234567' } },
        'content.mentions: must be an array',
      ],
      [
        'bad replyTo',
        { ...ok, content: { type: 'text', text: 'hi', replyTo: 'not an id' } },
        'content.replyTo: must be a WhatsApp message id',
      ],
      [
        'image without source',
        { ...ok, content: { type: 'image' } },
        'content: must have exactly one of url, base64 or mediaId',
      ],
      [
        'image with two sources',
        image({ base64: 'AAAA' }),
        'content: must have exactly one of url, base64 or mediaId',
      ],
      [
        'ftp url',
        image({ url: 'ftp://x.example/a.jpg' }),
        'content.url: must be an http or https URL',
      ],
      ['not a url', image({ url: 'a.jpg' }), 'content.url: must be an http or https URL'],
      [
        'bad base64',
        { ...ok, content: { type: 'image', base64: 'not base64!!' } },
        'content.base64: must be standard base64',
      ],
      [
        'base64 of wrong length',
        { ...ok, content: { type: 'image', base64: 'abc' } },
        'content.base64: must be standard base64',
      ],
      [
        'data: url as base64',
        { ...ok, content: { type: 'image', base64: 'data:image/png;base64,iVBORw0KGgo=' } },
        'content.base64: must be standard base64',
      ],
      [
        'image over 16 MiB',
        { ...ok, content: { type: 'image', base64: bigBase64 } },
        'content.base64: must decode to at most 16 MiB (16777216 bytes) for image',
      ],
      [
        'gif image',
        image({ mimetype: 'image/gif' }),
        'content.mimetype: must be one of image/jpeg, image/png, image/webp for image',
      ],
      ['nonsense mime', image({ mimetype: 'jpeg' }), 'content.mimetype: must be one of image/jpeg'],
      [
        'avi video',
        {
          ...ok,
          content: { type: 'video', url: 'https://x.example/a.avi', mimetype: 'video/x-msvideo' },
        },
        'content.mimetype: must be one of video/mp4, video/3gpp for video',
      ],
      [
        'mp3 voice note',
        {
          ...ok,
          content: {
            type: 'audio',
            url: 'https://x.example/a.mp3',
            mimetype: 'audio/mpeg',
            voiceNote: true,
          },
        },
        'content.mimetype: must be audio/ogg (Opus) for a voice note',
      ],
      [
        'png sticker',
        {
          ...ok,
          content: { type: 'sticker', url: 'https://x.example/a.png', mimetype: 'image/png' },
        },
        'content.mimetype: must be one of image/webp for sticker',
      ],
      [
        'sticker caption',
        { ...ok, content: { type: 'sticker', url: 'https://x.example/a.webp', caption: 'x' } },
        'content.caption: is not a known field',
      ],
      [
        'document without file name',
        { ...ok, content: { ...doc, fileName: undefined } },
        'content.fileName: is required',
      ],
      [
        'document path as file name',
        { ...ok, content: { ...doc, fileName: '../etc/passwd' } },
        'content.fileName: must be a file name without path separators',
      ],
      [
        'document bad mime',
        { ...ok, content: { ...doc, mimetype: 'pdf' } },
        'content.mimetype: must be a mime type like application/pdf',
      ],
      [
        'document without mime',
        { ...ok, content: { ...doc, mimetype: undefined } },
        'content.mimetype: must be given (like application/pdf) for a document sent by url or base64',
      ],
      [
        'caption too long',
        image({ caption: 'x'.repeat(4097) }),
        'content.caption: must be at most 4096 characters',
      ],
      [
        'latitude 91',
        { ...ok, content: { ...location, latitude: 91 } },
        'content.latitude: must be between -90 and 90',
      ],
      [
        'longitude -181',
        { ...ok, content: { ...location, longitude: -181 } },
        'content.longitude: must be between -180 and 180',
      ],
      [
        'latitude as string',
        { ...ok, content: { ...location, latitude: '12.5' } },
        'content.latitude: must be a number',
      ],
      [
        'latitude NaN',
        { ...ok, content: { ...location, latitude: NaN } },
        'content.latitude: must be a number (got NaN)',
      ],
      [
        'vcard without BEGIN',
        { ...ok, content: { ...contact, vcard: 'FN:Ada' } },
        'content.vcard: must be a vCard: start with BEGIN:VCARD and end with END:VCARD',
      ],
      [
        'vcard without END',
        { ...ok, content: { ...contact, vcard: 'BEGIN:VCARD\nFN:Ada' } },
        'content.vcard: must be a vCard',
      ],
      [
        'contact without name',
        { ...ok, content: { ...contact, displayName: undefined } },
        'content.displayName: is required',
      ],
      [
        'reaction with a word',
        { ...ok, content: { ...reaction, emoji: 'ok' } },
        'content.emoji: must be a single emoji, or "" to remove the reaction',
      ],
      [
        'reaction with two emoji',
        { ...ok, content: { ...reaction, emoji: '👍👍' } },
        'content.emoji: must be a single emoji',
      ],
      [
        'reaction without target',
        { ...ok, content: { ...reaction, targetMessageId: undefined } },
        'content.targetMessageId: is required',
      ],
      [
        'expiry in the past',
        { ...ok, options: { expiresAt: Date.now() - hour } },
        'options.expiresAt: must be in the future',
      ],
      [
        'expiry as words',
        { ...ok, options: { expiresAt: 'tomorrow' } },
        'options.expiresAt: must be an ISO 8601 date-time with a time zone',
      ],
      [
        'expiry without time zone',
        { ...ok, options: { expiresAt: '2030-01-01T10:00:00' } },
        'options.expiresAt: must be an ISO 8601 date-time',
      ],
      [
        'idempotency key with a space',
        { ...ok, options: { idempotencyKey: 'order 1' } },
        'options.idempotencyKey: must be 1-200 visible ASCII characters',
      ],
      [
        'idempotency key too long',
        { ...ok, options: { idempotencyKey: 'k'.repeat(201) } },
        'options.idempotencyKey: must be 1-200 visible ASCII characters',
      ],
      [
        'empty idempotency key',
        { ...ok, options: { idempotencyKey: '' } },
        'options.idempotencyKey: must be 1-200',
      ],
      [
        'idempotency key with a newline',
        { ...ok, options: { idempotencyKey: 'a\nb' } },
        'options.idempotencyKey: must be 1-200',
      ],
      [
        'priority 0',
        { ...ok, options: { priority: 0 } },
        'options.priority: must be an integer from 1 to 100',
      ],
      [
        'fractional priority',
        { ...ok, options: { priority: 1.5 } },
        'options.priority: must be an integer from 1 to 100',
      ],
      [
        'priority as string',
        { ...ok, options: { priority: '5' } },
        'options.priority: must be a number',
      ],
      [
        'unknown option',
        { ...ok, options: { retries: 3 } },
        'options.retries: is not a known field',
      ],
    ];

    it(`has at least 50 cases (${cases.length})`, () => {
      expect(cases.length).toBeGreaterThanOrEqual(50);
    });

    it.each(cases)('%s', async (_label, request, expected) => {
      const err = await client
        .send(
          request.sessionId as never,
          request.to as never,
          request.content as never,
          request.options as never,
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SendValidationError);
      const validation = err as SendValidationError;
      expect(validation.message).toContain(expected);
      expect(
        validation.problems.map((p) => `${p.path}: ${p.rule}`).some((p) => p.startsWith(expected)),
      ).toBe(true);
      expect(await inspect.keys(`${prefix}:*`)).toEqual([]);
    });
  });

  it('accepts inline base64 media', async () => {
    const sent = await client.send('s1', '15551234567@s.whatsapp.net', {
      type: 'image',
      base64:
        'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      mimetype: 'image/png',
    });
    expect((await queue.getJob(sent.jobId))?.data.content).toMatchObject({
      type: 'image',
      mimetype: 'image/png',
    });
  });
});
