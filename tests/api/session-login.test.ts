import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCluster } from '@wafleet/cluster-harness';
import { repoRoot, until, type SpawnedApp } from '@wafleet/test-support';
import { ApiClient, readSse, spawnApi, startReceiver, type Receiver } from './api-harness.js';

const SCAN_SECRET = 'scan-secret-for-tests-0123456789abcdef';
const HOOK_SECRET = 'hook-secret-for-tests-0123456789';
const artifacts = join(repoRoot, 'test-artifacts', 'api');

interface SessionView {
  id: string;
  state: string;
  owner: string | null;
  phone: string | null;
  me: string | null;
}

/**
 * The operator's path through the real stack: api, coordinator, worker and wa-sim processes on a
 * real Redis. Create → QR → simulated scan → open (GET and SSE) → send over HTTP → the sim gets
 * it → receipts via GET, events and webhook; then the scan page in a real Chromium.
 */
describe('session login through the HTTP API (real cluster)', () => {
  let cluster: TestCluster;
  let api: SpawnedApp;
  let http: ApiClient;
  let receiver: Receiver;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(artifacts, { recursive: true });
    // Default-like lease and heartbeat timings: this file tests the API, not failover, and the
    // harness's fast timings make a loaded machine look like a dead worker.
    cluster = await TestCluster.start({
      workers: 1,
      env: {
        SEND_RATE_MAX_PER_SECOND: '100',
        LEASE_TTL_MS: '10000',
        HEARTBEAT_INTERVAL_MS: '1000',
        HEARTBEAT_DEAD_AFTER_MS: '6000',
        LEADER_TTL_MS: '5000',
      },
    });
    api = await spawnApi({
      ...cluster.env,
      INSTANCE_ID: 'api-1',
      WA_SIM_CONTROL_URL: cluster.sim.info.control_url,
      SCAN_TOKEN_SECRET: SCAN_SECRET,
    });
    http = new ApiClient(api.baseUrl);
    receiver = await startReceiver();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await receiver?.close();
    await cluster?.stop();
  });

  const session = async (id: string) =>
    (await http.call('GET', `/v1/sessions/${id}`)).body as SessionView;

  async function waitForQr(id: string): Promise<{ qr: string; dataUrl: string }> {
    return until(
      async () => {
        const res = await http.call('GET', `/v1/sessions/${id}/qr`);
        return res.status === 200 ? (res.body as { qr: string; dataUrl: string }) : undefined;
      },
      { timeoutMs: 30_000, what: `a QR for ${id}` },
    );
  }

  it('create → QR → simulated scan → open (GET and SSE) → send → delivered and read via GET, events and webhook', async () => {
    const created = await http.call('POST', '/v1/sessions', {
      body: { id: 'flow1', name: 'Flow one', webhook: { url: receiver.url, secret: HOOK_SECRET } },
    });
    expect(created.status).toBe(201);
    const events = readSse(`${api.baseUrl}/v1/events?session=flow1`, {
      authorization: `Bearer ${http.key!}`,
    });
    const qrStream = readSse(`${api.baseUrl}/v1/sessions/flow1/qr/stream`, {
      authorization: `Bearer ${http.key!}`,
    });
    expect(await qrStream.status).toBe(200);

    const { qr, dataUrl } = await waitForQr('flow1');
    expect(qr.split(',').length).toBeGreaterThanOrEqual(4);
    expect(dataUrl).toMatch(/^data:image\/png;base64,/);
    const png = await fetch(`${api.baseUrl}/v1/sessions/flow1/qr`, {
      headers: { authorization: `Bearer ${http.key!}`, accept: 'image/png' },
    });
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(
      Buffer.from(await png.arrayBuffer())
        .subarray(0, 8)
        .toString('hex'),
    ).toBe('89504e470d0a1a0a');
    await until(() => qrStream.events.some((e) => e.event === 'qr'), {
      what: 'qr on the QR stream',
    });

    const phone = await cluster.sim.control.createPhone({ name: 'Flow phone' });
    await cluster.sim.control.scan(phone.number, qr);
    const open = await until(
      async () => {
        const s = await session('flow1');
        return s.state === 'open' ? s : undefined;
      },
      { timeoutMs: 30_000, what: 'flow1 open' },
    );
    expect(open.phone).toBe(`+${phone.number}`);
    expect(open.owner).toBe('worker-1');

    // The QR stream ends by itself once the session is open.
    await qrStream.ended;
    const qrEvents = qrStream.events
      .filter((e) => e.event === 'qr')
      .map((e) => e.data as { qr: string; dataUrl: string });
    expect(qrEvents.map((e) => e.qr)).toContain(qr);
    expect(qrStream.events.at(-1)).toMatchObject({
      event: 'status',
      data: { state: 'open', phone: `+${phone.number}` },
    });
    await until(
      () =>
        events.events.some(
          (e) =>
            e.event === 'session.status' &&
            (e.data as { data: { state: string } }).data.state === 'open',
        ),
      { what: 'open on /v1/events SSE' },
    );

    // Send over HTTP; the same Idempotency-Key gives the same job and one message.
    const contact = await cluster.sim.control.createContact({
      name: 'Customer',
      autoReceipt: 'delivered',
    });
    const send = () =>
      http.call('POST', '/v1/sessions/flow1/messages', {
        headers: { 'idempotency-key': 'order-42-confirmation' },
        body: {
          to: `+${contact.number}`,
          content: { type: 'text', text: 'Your order 42 ships today' },
        },
      });
    const first = await send();
    expect(first.status).toBe(202);
    const { jobId, messageId } = first.body as { jobId: string; messageId: string };
    expect((await send()).body).toEqual({ jobId, messageId });
    const received = await until(
      async () =>
        (await cluster.sim.control.messages(contact.number)).find((m) => m.id === messageId),
      { timeoutMs: 30_000, what: 'the sim to receive the message' },
    );
    expect(received.text).toBe('Your order 42 ships today');
    expect(received.duplicates).toBe(0);

    const statusIs = (wanted: string) =>
      until(
        async () => {
          const res = await http.call('GET', `/v1/sessions/flow1/messages/${messageId}`);
          const body = res.body as {
            status: string;
            sentAt: string | null;
            deliveredAt: string | null;
            readAt: string | null;
          };
          return body.status === wanted ? body : undefined;
        },
        { timeoutMs: 30_000, what: `status ${wanted} via GET` },
      );
    const delivered = await statusIs('delivered');
    expect(delivered.sentAt).not.toBeNull();
    expect(delivered.readAt).toBeNull();
    // The contact opens the chat.
    await cluster.sim.control.sendReceipt(messageId, 'read', contact.jid);
    const read = await statusIs('read');
    expect(read.deliveredAt).toBe(delivered.deliveredAt);
    expect(Date.parse(read.readAt!)).toBeGreaterThanOrEqual(Date.parse(read.deliveredAt!));
    const job = (await http.call('GET', `/v1/jobs/${jobId}`)).body as {
      jobState: string;
      status: string;
      messageId: string;
    };
    expect(job).toMatchObject({ jobState: 'completed', status: 'read', messageId });

    const statuses = (
      await http.call('GET', `/v1/events?cursor=0&session=flow1&type=message.*&limit=500`)
    ).body as {
      events: { type: string; data: { messageId?: string; status?: string } }[];
    };
    const mine = statuses.events.filter((e) => e.data.messageId === messageId);
    expect(mine.map((e) => e.type)).toContain('message.sent');
    expect(mine.filter((e) => e.type === 'message.status').map((e) => e.data.status)).toEqual(
      expect.arrayContaining(['delivered', 'read']),
    );

    const hooks = await until(
      () => {
        const got = receiver.requests
          .map((r) => ({
            r,
            body: JSON.parse(r.body) as {
              type: string;
              data: { messageId?: string; status?: string; state?: string };
            },
          }))
          .filter(
            ({ body }) => body.type === 'message.status' && body.data.messageId === messageId,
          );
        return got.some(({ body }) => body.data.status === 'read') ? got : undefined;
      },
      { timeoutMs: 20_000, what: 'read receipt webhook' },
    );
    for (const { r } of hooks) {
      const ts = String(r.headers['x-wafleet-timestamp']);
      expect(r.headers['x-wafleet-signature']).toBe(
        `sha256=${createHmac('sha256', HOOK_SECRET).update(`${ts}.${r.body}`).digest('hex')}`,
      );
    }
    const kinds = new Set(
      receiver.requests.map((r) => (JSON.parse(r.body) as { type: string }).type),
    );
    for (const k of ['session.qr', 'session.status', 'message.sent', 'message.status'])
      expect(kinds).toContain(k);
    events.close();
  }, 120_000);

  it('coalesces concurrent restarts into one and comes back open', async () => {
    expect((await session('flow1')).state).toBe('open');
    const { cursor } = (await http.call('GET', '/v1/events?limit=1')).body as { cursor: string };
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => http.call('POST', '/v1/sessions/flow1/restart')),
    );
    expect(answers.map((a) => a.status)).toEqual([202, 202, 202, 202, 202]);
    expect(answers.filter((a) => !(a.body as { coalesced: boolean }).coalesced)).toHaveLength(1);
    // Follow the session's status changes from before the restarts until it is open again.
    const states: string[] = [];
    let at = cursor;
    await until(
      async () => {
        const page = (
          await http.call('GET', `/v1/events?cursor=${at}&session=flow1&type=session.status&wait=5`)
        ).body as {
          events: { data: { state: string } }[];
          cursor: string;
        };
        at = page.cursor;
        states.push(...page.events.map((e) => e.data.state));
        return states.includes('open');
      },
      { timeoutMs: 30_000, what: 'flow1 open again' },
    );
    // One restart: the socket went down once.
    expect(states.filter((s) => s === 'stopped')).toHaveLength(1);
    expect((await session('flow1')).state).toBe('open');
  }, 60_000);

  it('pairs with a pairing code that the API returns only once the server accepted it', async () => {
    expect((await http.call('POST', '/v1/sessions', { body: { id: 'pair1' } })).status).toBe(201);
    await waitForQr('pair1');
    const phone = await cluster.sim.control.createPhone({ name: 'Pairing phone' });
    const answer = await http.call('POST', '/v1/sessions/pair1/pairing-code', {
      body: { phone: `+${phone.number}` },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const { code } = answer.body as { code: string };
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    await cluster.sim.control.enterPairingCode(phone.number, code);
    await until(async () => (await session('pair1')).state === 'open', {
      timeoutMs: 30_000,
      what: 'pair1 open',
    });
    expect((await session('pair1')).phone).toBe(`+${phone.number}`);

    // A request WhatsApp refuses is an error, not a code.
    expect((await http.call('POST', '/v1/sessions', { body: { id: 'pair2' } })).status).toBe(201);
    await waitForQr('pair2');
    await cluster.sim.control.rejectPairingCodes(400);
    try {
      const refused = await http.call('POST', '/v1/sessions/pair2/pairing-code', {
        body: { phone: `+${phone.number}` },
      });
      expect(refused.status).toBe(422);
      expect((refused.body as { error: { code: string; message: string } }).error).toMatchObject({
        code: 'PAIRING_FAILED',
      });
      expect(refused.text).not.toMatch(/"code":"[A-Z0-9]{8}"/);
    } finally {
      await cluster.sim.control.rejectPairingCodes(null);
    }
  }, 90_000);

  it('delete logs the device out, wipes auth state and drops the queue', async () => {
    const before = await session('pair1');
    const phone = before.phone!.slice(1);
    expect((await cluster.sim.control.devices(phone)).length).toBe(1);
    // Something in its queue and a message record, so there is something to drop.
    const contact = await cluster.sim.control.createContact();
    const sent = await http.call('POST', '/v1/sessions/pair1/messages', {
      body: { to: `+${contact.number}`, content: { type: 'text', text: 'bye' } },
    });
    expect(sent.status).toBe(202);
    const leftovers = async () => {
      const all = await cluster.client.keys(cluster.keys.sessionPattern('pair1'));
      return all.filter(
        (k) => k !== cluster.keys.lease('pair1') && k !== cluster.keys.fence('pair1'),
      );
    };
    expect((await leftovers()).some((k) => k.includes(':send:'))).toBe(true);
    const res = await http.call('DELETE', '/v1/sessions/pair1');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: 'pair1', deleted: true, loggedOut: true });
    expect((await http.call('GET', '/v1/sessions/pair1')).status).toBe(404);
    expect(
      await cluster.client.exists(cluster.keys.authCreds('pair1'), cluster.keys.authKeys('pair1')),
    ).toBe(0);
    expect(await leftovers()).toEqual([]);
    // The same id at once: a fresh session that shows a QR, not the deleted one's logged-out
    // runner (DELETE returns once the old owner let go of the lease).
    const again = await http.call('POST', '/v1/sessions', { body: { id: 'pair1' } });
    expect(again.status).toBe(201);
    await waitForQr('pair1');
    await until(async () => (await cluster.sim.control.devices(phone)).length === 0, {
      what: 'device unlinked in the sim',
    });
    expect((await http.call('DELETE', '/v1/sessions/pair1')).status).toBe(200);
    // Should a worker still hold a deleted id's lease, creating it again is refused, retryable.
    await cluster.client.set(cluster.keys.lease('ghost1'), 'worker-gone:7', 'PX', 60_000);
    const early = await http.call('POST', '/v1/sessions', { body: { id: 'ghost1' } });
    expect(early.status).toBe(409);
    expect((early.body as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'SESSION_STILL_DELETING',
      message: expect.stringContaining('retry in a few seconds') as string,
    });
    expect((await http.call('GET', '/v1/sessions/ghost1')).status).toBe(404);
    await cluster.client.del(cluster.keys.lease('ghost1'));
    expect((await http.call('POST', '/v1/sessions', { body: { id: 'ghost1' } })).status).toBe(201);
    expect((await http.call('DELETE', '/v1/sessions/ghost1')).status).toBe(200);
  }, 90_000);

  it('scan page in Chromium: shows the QR, then "Connected as +…" after the simulated scan; expired links show no QR', async () => {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    expect(
      (await http.call('POST', '/v1/sessions', { body: { id: 'web1', name: 'Shop front desk' } }))
        .status,
    ).toBe(201);
    const link = (await http.call('POST', '/v1/sessions/web1/scan-token')).body as {
      url: string;
      token: string;
    };
    expect(link.url).toContain('/scan/web1?token=');
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.goto(link.url);
    const img = page.locator('#qr');
    await img.waitFor({ state: 'visible', timeout: 30_000 });
    // The image on the page is the session's current QR.
    await until(
      async () => {
        const shown = await img.getAttribute('src');
        const current = await http.call('GET', '/v1/sessions/web1/qr');
        return shown !== null && shown === (current.body as { dataUrl?: string }).dataUrl;
      },
      { timeoutMs: 30_000, what: 'the page to show the current QR' },
    );
    expect(await page.textContent('#status')).toContain('Scan this code');
    await page.screenshot({ path: join(artifacts, 'scan-page-qr.png') });

    await page.click('#simulate');
    await page.locator('#status', { hasText: 'Connected as +' }).waitFor({ timeout: 30_000 });
    const open = await session('web1');
    expect(open.state).toBe('open');
    expect(await page.textContent('#status')).toBe(`Connected as ${open.phone}`);
    expect(await img.isVisible()).toBe(false);
    expect(await img.getAttribute('src')).toBeNull();
    await page.screenshot({ path: join(artifacts, 'scan-page-connected.png') });
    expect(consoleErrors).toEqual([]);

    // A link whose signature is right but whose time is up, and one that was never issued.
    const exp = Math.floor(Date.now() / 1000) - 5;
    const sig = createHmac('sha256', SCAN_SECRET)
      .update(`scan.v1\0web1\0${exp}`)
      .digest('base64url');
    for (const [token, title, shot] of [
      [`${exp}.${sig}`, 'This link has expired', 'scan-page-expired.png'],
      [`${exp + 3600}.${sig}`, 'This link is not valid', 'scan-page-forged.png'],
    ] as const) {
      const res = await page.goto(`${api.baseUrl}/scan/web1?token=${encodeURIComponent(token)}`);
      expect(res?.status()).toBe(401);
      expect(await page.textContent('h1')).toBe(title);
      expect(await page.locator('img').count()).toBe(0);
      expect(await page.content()).not.toContain('data:image');
      await page.screenshot({ path: join(artifacts, shot) });
    }
  }, 120_000);
});
