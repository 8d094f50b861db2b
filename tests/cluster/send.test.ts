import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WafleetClient } from '@wafleet/client';
import { TestCluster, type PairedSession } from '@wafleet/cluster-harness';
import { until } from '@wafleet/test-support';

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(3000)]);
const PDF = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(5000)]);

describe('send pipeline end to end (real Redis, BullMQ, Baileys, wa-sim, worker processes)', () => {
  let cluster: TestCluster;
  let client: WafleetClient;
  let sessions: PairedSession[];
  let contact: string;
  let media: Server;
  let mediaUrl: string;

  beforeAll(async () => {
    cluster = await TestCluster.start({
      workers: 2,
      // An ack timeout far below what a loaded 2-core box needs makes sends time out while Baileys is
      // still writing them, and a retried job goes after later ones (see the issue note).
      env: { SEND_RATE_MAX_PER_SECOND: '1000', SEND_ACK_TIMEOUT_MS: '8000' },
    });
    sessions = await cluster.addPairedSessions(10);
    await cluster.waitAllOpen(sessions.map((s) => s.sessionId));
    client = new WafleetClient({ redisUrl: cluster.redis.url, prefix: cluster.prefix });
    contact = (await cluster.sim.control.createContact({ name: 'Customer' })).number;
    media = createServer((req, res) => {
      if (req.url === '/image.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
      else if (req.url === '/doc.pdf')
        res.writeHead(200, { 'content-type': 'application/pdf' }).end(PDF);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => media.listen(0, '127.0.0.1', r));
    mediaUrl = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
  }, 120_000);
  afterAll(async () => {
    await client?.close();
    media?.close();
    await cluster?.stop();
  });

  async function received(to: string) {
    return cluster.sim.control.messages(to);
  }

  it('delivers 1,000 jobs over 10 sessions once each, in per-session enqueue order', async () => {
    const to = (await cluster.sim.control.createContact()).number;
    // Taken before the first enqueue: sending starts while the later jobs are still being added.
    const base = (await cluster.sim.control.counters()).messagesReceived;
    const expected = new Map<string, string[]>();
    const jobIds = new Map<string, string>();
    const enqueues: Promise<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      for (const s of sessions) {
        const key = `bulk-${s.sessionId}-${i}`;
        const list = expected.get(s.sessionId) ?? [];
        expected.set(s.sessionId, list);
        enqueues.push(
          client
            .send(
              s.sessionId,
              `+${to}`,
              { type: 'text', text: `${s.sessionId} #${i}` },
              { idempotencyKey: key },
            )
            .then((r) => {
              list.push(r.messageId);
              jobIds.set(r.messageId, r.jobId);
            }),
        );
        // Per-session enqueue order is the order of the awaited adds within that session.
        if (enqueues.length % 10 === 0) await Promise.all(enqueues.splice(0));
      }
    }
    await Promise.all(enqueues);
    // Poll the cheap counter: serialising 1,000 recorded messages every few ms would starve the sim.
    await until(
      async () => (await cluster.sim.control.counters()).messagesReceived - base >= 1000,
      { timeoutMs: 120_000, intervalMs: 500, what: '1,000 messages at the sim' },
    ).catch(async (err: unknown) => {
      // A message the sim could not decrypt never arrives: report that rather than only a timeout.
      expect((await cluster.sim.control.counters()).decryptErrors).toBe(0);
      throw err;
    });
    await until(async () => (await received(to)).length >= 1000, {
      timeoutMs: 30_000,
      intervalMs: 500,
      what: 'all 1,000 recorded',
    });
    const msgs = await received(to);
    expect(msgs).toHaveLength(1000);
    // Each id is recorded once. An id may arrive again only because its job was retried (an ack
    // slower than SEND_ACK_TIMEOUT_MS under load): the retry re-sends the same id, the sim dedupes.
    expect(new Set(msgs.map((m) => m.id)).size).toBe(1000);
    for (const m of msgs.filter((x) => x.duplicates > 0)) {
      const status = await client.getStatus(jobIds.get(m.id)!);
      expect(status?.attemptsMade ?? 0).toBeGreaterThanOrEqual(m.duplicates + 1);
    }
    for (const s of sessions) {
      const fromSession = msgs
        .filter((m) => m.from.startsWith(`${s.phone}:`))
        .sort((a, b) => a.seq - b.seq);
      const texts = fromSession.map((m) => m.text);
      expect(texts).toEqual(Array.from({ length: 100 }, (_, i) => `${s.sessionId} #${i}`));
      expect(fromSession.map((m) => m.id)).toEqual(expected.get(s.sessionId));
    }
  }, 180_000);

  it('the same idempotency key from two producers at once gives one job and one message', async () => {
    const other = new WafleetClient({ redisUrl: cluster.redis.url, prefix: cluster.prefix });
    try {
      const to = (await cluster.sim.control.createContact()).number;
      const s = sessions[0]!.sessionId;
      const [a, b] = await Promise.all([
        client.send(s, to, { type: 'text', text: 'only once' }, { idempotencyKey: 'order-42' }),
        other.send(s, to, { type: 'text', text: 'only once' }, { idempotencyKey: 'order-42' }),
      ]);
      expect(a).toEqual(b);
      await client.waitUntilSent(s, a.jobId, 20_000);
      await client.send(s, to, { type: 'text', text: 'only once' }, { idempotencyKey: 'order-42' });
      const marker = await client.send(s, to, { type: 'text', text: 'marker' });
      await client.waitUntilSent(s, marker.jobId, 20_000);
      const msgs = await received(to);
      expect(msgs.filter((m) => m.text === 'only once')).toHaveLength(1);
      expect(msgs.every((m) => m.duplicates === 0)).toBe(true);
    } finally {
      await other.close();
    }
  });

  it('a number that is not on WhatsApp fails at once with not_on_whatsapp, without retries', async () => {
    const s = sessions[1]!.sessionId;
    const job = await client.send(s, '+15550009999999', { type: 'text', text: 'nobody home' });
    await expect(client.waitUntilSent(s, job.jobId, 20_000)).rejects.toMatchObject({
      reason: 'not_on_whatsapp',
      attemptsMade: 1,
    });
  });

  it('a logged-out session fails its jobs with session_logged_out instead of keeping them waiting', async () => {
    const s = sessions[8]!;
    await cluster.sim.control.unlink(s.deviceJid);
    await until(async () => (await cluster.records.get(s.sessionId))?.state === 'logged_out', {
      what: 'logged out',
    });
    const job = await client.send(s.sessionId, contact, { type: 'text', text: 'to nobody' });
    await expect(client.waitUntilSent(s.sessionId, job.jobId, 20_000)).rejects.toMatchObject({
      reason: 'session_logged_out',
      attemptsMade: 1,
    });
  });

  it('a message the server never acks is retried with the same id; the recipient gets one copy', async () => {
    const to = (await cluster.sim.control.createContact()).number;
    const s = sessions[2]!.sessionId;
    const job = await client.send(
      s,
      to,
      { type: 'text', text: 'ack me maybe' },
      { idempotencyKey: 'no-ack-1' },
    );
    await cluster.sim.control.neverAck(job.messageId);
    // The first attempt gets no ack; the retry re-sends the same id, which the sim dedupes.
    const status = await until(
      async () => {
        const st = await client.getStatus(job.jobId);
        return st && (st.attemptsMade ?? 0) >= 1 ? st : undefined;
      },
      { timeoutMs: 20_000, what: 'an attempt' },
    );
    expect(status).toBeDefined();
    const msgs = await until(
      async () => {
        const m = (await received(to)).filter((x) => x.id === job.messageId);
        return m.length === 1 && m[0]!.duplicates >= 1 ? m : undefined;
      },
      { timeoutMs: 30_000, what: 'the retried copy to arrive (deduped)' },
    );
    expect(msgs).toHaveLength(1);
  });

  it('sends an image and a document by URL and by base64 with the exact bytes', async () => {
    const to = (await cluster.sim.control.createContact()).number;
    const s = sessions[3]!.sessionId;
    const jobs = [
      await client.send(s, to, { type: 'image', url: `${mediaUrl}/image.png`, caption: 'by url' }),
      await client.send(s, to, {
        type: 'document',
        url: `${mediaUrl}/doc.pdf`,
        fileName: 'offer.pdf',
        mimetype: 'application/pdf',
      }),
      await client.send(s, to, {
        type: 'image',
        base64: PNG.toString('base64'),
        mimetype: 'image/png',
      }),
      await client.send(s, to, {
        type: 'document',
        base64: PDF.toString('base64'),
        fileName: 'b.pdf',
        mimetype: 'application/pdf',
      }),
    ];
    for (const j of jobs) await client.waitUntilSent(s, j.jobId, 30_000);
    const msgs = await until(
      async () => {
        const m = await received(to);
        return m.length === 4 ? m : undefined;
      },
      { what: '4 media messages' },
    );
    const byId = new Map(msgs.map((m) => [m.id, m]));
    const bytes = (i: number) => Buffer.from(byId.get(jobs[i]!.messageId)!.media!.bytes!, 'base64');
    expect(bytes(0).equals(PNG)).toBe(true);
    expect(bytes(1).equals(PDF)).toBe(true);
    expect(bytes(2).equals(PNG)).toBe(true);
    expect(bytes(3).equals(PDF)).toBe(true);
    expect(byId.get(jobs[0]!.messageId)!.media!.type).toMatch(/image/);
    expect(byId.get(jobs[1]!.messageId)!.media!.type).toMatch(/document/);
  });

  it('a media URL that answers 404 fails the job with media_unreachable', async () => {
    const s = sessions[3]!.sessionId;
    const job = await client.send(s, contact, { type: 'image', url: `${mediaUrl}/missing.png` });
    await expect(client.waitUntilSent(s, job.jobId, 20_000)).rejects.toMatchObject({
      reason: 'media_unreachable',
      attemptsMade: 1,
    });
  });

  it('a rate limit of 5/s on one session spaces its sends; another session is not slowed', async () => {
    const limited = sessions[4]!.sessionId;
    const free = sessions[5]!.sessionId;
    await cluster.records.setSettings(limited, { rateLimit: { max: 5, durationMs: 1000 } });
    // What PATCH /v1/sessions/:id does: store the settings, tell the owner; it applies them
    // without a reconnect and says so on the event stream.
    const owner = (await cluster.records.get(limited))!.owner!;
    const cursor = `${Date.now() - 1}-0`;
    await cluster.client.publish(
      cluster.keys.workerChannel(owner),
      JSON.stringify({ type: 'reload_settings', sessionId: limited }),
    );
    const applied = await until(
      async () =>
        (await cluster.client.xrange(cluster.keys.events(), `(${cursor}`, '+')).find(
          ([, f]) => f[1] === limited && f[3] === 'session.settings_applied',
        ),
      { timeoutMs: 30_000, what: 'the new rate limit applied' },
    );
    expect(JSON.parse(applied[1][7]!)).toMatchObject({ rateLimit: { max: 5, durationMs: 1000 } });
    expect((await cluster.records.get(limited))!.state).toBe('open');
    const toA = (await cluster.sim.control.createContact()).number;
    const toB = (await cluster.sim.control.createContact()).number;
    const t0 = Date.now();
    for (let i = 0; i < 50; i++)
      await client.send(limited, toA, { type: 'text', text: `slow ${i}` });
    for (let i = 0; i < 50; i++) await client.send(free, toB, { type: 'text', text: `fast ${i}` });
    await until(async () => (await received(toB)).length === 50, {
      timeoutMs: 30_000,
      what: 'the free session',
    });
    const freeDone = Date.now() - t0;
    await until(async () => (await received(toA)).length === 50, {
      timeoutMs: 60_000,
      what: 'the limited session',
    });
    const times = (await received(toA)).map((m) => m.timestamp).sort((a, b) => a - b);
    // BullMQ's limiter is a fixed window: at most 5 per window, so never more than 10 in any 1 s span.
    for (let i = 0; i + 10 < times.length; i++)
      expect(times[i + 10]! - times[i]!).toBeGreaterThanOrEqual(1000);
    expect(times[times.length - 1]! - times[0]!).toBeGreaterThanOrEqual(8000);
    expect(freeDone).toBeLessThan(8000);
  }, 120_000);

  it('jobs wait while a session is disconnected for 30 s, then all go out; none fails', async () => {
    const s = sessions[6]!;
    const to = (await cluster.sim.control.createContact()).number;
    await cluster.sim.control.refuseLogins(s.deviceJid, { forMs: 30_000 });
    await cluster.sim.control.disconnect(s.deviceJid, { kind: 'close' });
    await until(async () => (await cluster.records.get(s.sessionId))?.state !== 'open', {
      what: 'disconnected',
    });
    const jobs = [];
    for (let i = 0; i < 20; i++)
      jobs.push(await client.send(s.sessionId, to, { type: 'text', text: `patient ${i}` }));
    const mid = await client.getStatus(jobs[0]!.jobId);
    expect(mid?.state).not.toBe('failed');
    for (const j of jobs) await client.waitUntilSent(s.sessionId, j.jobId, 90_000);
    const msgs = await received(to);
    expect(msgs.map((m) => m.text)).toEqual(Array.from({ length: 20 }, (_, i) => `patient ${i}`));
  }, 120_000);

  it('SIGKILL of the owning worker with 200 jobs queued or in flight: all delivered once, in order', async () => {
    const s = sessions[7]!.sessionId;
    const to = (await cluster.sim.control.createContact()).number;
    const owner = (await cluster.records.get(s))!.owner!;
    const ids: string[] = [];
    for (let i = 0; i < 200; i++)
      ids.push((await client.send(s, to, { type: 'text', text: `survive ${i}` })).messageId);
    await until(async () => (await received(to)).length >= 20, { what: 'sending started' });
    cluster.workers.find((w) => w.name === owner)!.signal('SIGKILL');
    await until(async () => (await received(to)).length >= 200, {
      timeoutMs: 90_000,
      intervalMs: 250,
      what: '200 messages after failover',
    });
    const msgs = (await received(to)).sort((a, b) => a.seq - b.seq);
    expect(msgs).toHaveLength(200);
    expect(new Set(msgs.map((m) => m.id))).toEqual(new Set(ids));
    // A message in flight at the kill may be re-sent with the same id (deduped, counted as a duplicate).
    expect(msgs.reduce((n, m) => n + m.duplicates, 0)).toBeLessThanOrEqual(1);
    const order = msgs.map((m) => Number(m.text!.split(' ')[1]));
    // The new owner takes back the send left in flight before anything newer: strict order.
    expect(order).toEqual(Array.from({ length: 200 }, (_, i) => i));
    expect((await cluster.sim.control.counters()).dualConnections).toBe(0);
  }, 150_000);
});
