import { createLogger } from '@wafleet/core';
import { until } from '@wafleet/test-support';
import { WaSim } from '@wafleet/wa-sim';
import { createMemoryAuthState } from '@wafleet/wa-sim/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustSimulatorRoot } from './server-trust.js';
import { SessionRunner, type SessionAuth, type SessionStatusEvent } from './session-runner.js';
import type { SessionState } from './session-state.js';

const logger = createLogger({ role: 'test', level: process.env.WAFLEET_TEST_LOG ?? 'silent' });

/**
 * An in-memory auth state with a wipe, standing in for an auth-store backend in these runner tests.
 * `writeLatencyMs` makes key writes take as long as a round trip to a remote store.
 */
function memoryAuth(writeLatencyMs = 0) {
  let mem = createMemoryAuthState();
  let wipes = 0;
  let saves = 0;
  const auth: SessionAuth = {
    get state() {
      if (!writeLatencyMs) return mem.state;
      const keys = mem.state.keys;
      return {
        creds: mem.state.creds,
        keys: {
          get: keys.get.bind(keys),
          set: async (data: Parameters<typeof keys.set>[0]) => {
            await new Promise((r) => setTimeout(r, writeLatencyMs));
            await keys.set(data);
          },
        },
      };
    },
    saveCreds: () => {
      saves++;
      return Promise.resolve();
    },
    wipe: () => {
      wipes++;
      mem = createMemoryAuthState();
      return Promise.resolve();
    },
  };
  return {
    open: () => Promise.resolve(auth),
    wipes: () => wipes,
    saves: () => saves,
    creds: () => mem.state.creds,
  };
}

function runnerFor(
  sim: WaSim,
  auth: ReturnType<typeof memoryAuth>,
  sessionId = 's1',
  extra: Partial<ConstructorParameters<typeof SessionRunner>[0]> = {},
) {
  const runner = new SessionRunner({
    sessionId,
    openAuth: auth.open,
    logger,
    socket: {
      waWebSocketUrl: sim.wsUrl,
      connectTimeoutMs: 5000,
      keepAliveIntervalMs: 2000,
      defaultQueryTimeoutMs: 5000,
      qrTimeoutMs: 5000,
    },
    policy: {
      minDelayMs: 50,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      conflictBaseDelayMs: 200,
      stableOpenMs: 60_000,
    },
    connectDeadlineMs: 8000,
    ...extra,
  });
  const states: SessionState[] = [];
  const statuses: SessionStatusEvent[] = [];
  const qrs: string[] = [];
  runner.on('status', (e) => {
    states.push(e.state);
    statuses.push(e);
  });
  runner.on('qr', (e) => qrs.push(e.qr));
  return { runner, states, statuses, qrs };
}

describe('SessionRunner against wa-sim', () => {
  let sim: WaSim;
  beforeAll(async () => {
    sim = await WaSim.start();
    trustSimulatorRoot(sim.rootPublicKey);
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('pairs by QR through the 515 restart, sends, gets receipts and inbound messages, and logs in again without a QR', async () => {
    const phone = sim.createPhone({ name: 'Shop' });
    const contact = sim.createContact({ autoReceipt: 'read' });
    const auth = memoryAuth();
    const { runner, states, qrs } = runnerFor(sim, auth);
    await runner.start();
    await until(() => qrs.length > 0, { what: 'a QR' });
    expect(runner.state).toBe('qr');
    await sim.scan(phone.number, qrs[0]!);
    await until(() => runner.state === 'open', { what: 'open after pairing', timeoutMs: 15_000 });
    expect(states).toContain('reconnecting');
    expect(runner.me).toMatch(new RegExp(`^${phone.number}:\\d+@s\\.whatsapp\\.net$`));
    expect(auth.creds().me?.id).toBe(runner.me);
    expect(qrs).toHaveLength(1);

    const receipts: string[] = [];
    runner.on('receipt', (r) => receipts.push(`${r.messageId}:${r.status}`));
    const { messageId } = await runner.sendMessage(
      `${contact.number}@s.whatsapp.net`,
      { text: 'hello from wafleet' },
      { messageId: '3EB0AABBCCDDEEFF001122' },
    );
    expect(messageId).toBe('3EB0AABBCCDDEEFF001122');
    await until(() => sim.messagesTo(contact.number).length === 1, {
      what: 'sim received the message',
    });
    expect(sim.messagesTo(contact.number)[0]?.text).toBe('hello from wafleet');
    await until(() => receipts.includes(`${messageId}:read`), { what: 'read receipt' });
    // Baileys' event buffer may merge a delivered update into the read that follows it.
    expect(receipts).toContain(`${messageId}:server_ack`);

    const inbound: string[] = [];
    runner.on('message', (m) => inbound.push(m.message.message?.conversation ?? ''));
    await sim.sendFromContact(contact.number, phone.number, 'hi back');
    await until(() => inbound.includes('hi back'), { what: 'inbound message' });

    await runner.stop();
    expect(runner.state).toBe('stopped');
    const again = runnerFor(sim, auth);
    await again.runner.start();
    await until(() => again.runner.state === 'open', { what: 'open with saved creds' });
    expect(again.qrs).toHaveLength(0);
    await again.runner.stop();
  });

  /** A runner for a freshly paired device, open, collecting the ids of the messages it emits. */
  async function openRunner(sessionId: string, auth = memoryAuth()) {
    const phone = sim.createPhone();
    const device = sim.createPairedDevice(phone.number, { reportPreKeyCount: 50 });
    Object.assign(auth.creds(), device.creds);
    const { runner } = runnerFor(sim, auth, sessionId);
    await runner.start();
    await until(() => runner.state === 'open', { what: 'open' });
    const inbound: string[] = [];
    runner.on('message', (m) => inbound.push(m.message.key.id!));
    return { phone, device, auth, runner, inbound, contact: sim.createContact() };
  }

  it('a stop while an inbound message is being handled lets it finish: emitted and receipted, not lost', async () => {
    const { phone, device, auth, runner, inbound, contact } = await openRunner('sstop');
    const id = '3EB0570B0000000000000001';
    let stopping: Promise<void> | undefined;
    // The stop lands the moment the stanza was read, before Baileys decrypted it.
    runner.socket!.ws.on('CB:message', (node: { attrs: { id?: string } }) => {
      if (node.attrs.id === id) stopping ??= runner.stop('unassigned');
    });
    await sim.sendFromContact(contact.number, phone.number, 'during the stop', { id });
    await until(() => stopping !== undefined, { what: 'the stop to begin' });
    await stopping;
    expect(runner.state).toBe('stopped');
    expect(inbound).toEqual([id]);
    expect(sim.deviceReceipts.filter((r) => r.id === id)).toHaveLength(1);

    // What arrives while stopped waits in WhatsApp for the next start.
    const later = await sim.sendFromContact(contact.number, phone.number, 'while stopped');
    expect(later.queued).toEqual([device.deviceJid]);
    const again = runnerFor(sim, auth, 'sstop');
    const after: string[] = [];
    again.runner.on('message', (m) => after.push(m.message.key.id!));
    await again.runner.start();
    await until(() => after.includes(later.id), { what: 'the queued message' });
    expect(after).not.toContain(id);
    await again.runner.stop();
  });

  it('a stop with more read than it can handle in time leaves the rest undecrypted for the next socket: none lost', async () => {
    // 10 ms per key write: 300 queued messages take longer than the stop waits.
    const auth = memoryAuth(10);
    const { phone, runner, inbound, contact } = await openRunner('sbacklog', auth);
    const ids: string[] = [];
    for (let i = 0; i < 300; i++)
      ids.push((await sim.sendFromContact(contact.number, phone.number, `m${i}`)).id);
    await until(() => inbound.length > 0, { what: 'the first of the burst' });
    await runner.stop('unassigned');
    expect(inbound.length).toBeLessThan(ids.length);
    const next = runnerFor(sim, auth, 'sbacklog');
    const after: string[] = [];
    next.runner.on('message', (m) => after.push(m.message.key.id!));
    await next.runner.start();
    await until(() => ids.every((id) => inbound.includes(id) || after.includes(id)), {
      what: 'every message on one socket or the other',
      timeoutMs: 30_000,
    });
    expect(after.filter((id) => inbound.includes(id))).toEqual([]);
    await next.runner.stop();
  }, 60_000);

  it('a socket that closes while an inbound message is being handled still emits it, once', async () => {
    // Writes as slow as a remote store: the decrypt commits while Baileys is already ending.
    const { phone, runner, inbound, contact } = await openRunner('sclose', memoryAuth(100));
    // A first message makes the next one a plain `msg` on an established session.
    const hello = await sim.sendFromContact(contact.number, phone.number, 'hello');
    await until(() => inbound.includes(hello.id), { what: 'first message' });
    const id = '3EB0C105E0000000000000001';
    const sock = runner.socket!;
    const gen = runner.socketGeneration;
    // The close lands the moment the stanza was read: Baileys goes down the path it takes when the
    // server drops the connection (428), while it is still decrypting. Its receipt cannot go out.
    sock.ws.on('CB:message', (node: { attrs: { id?: string } }) => {
      if (node.attrs.id === id)
        void sock.end(
          Object.assign(new Error('Connection Terminated'), { output: { statusCode: 428 } }),
        );
    });
    const before = { ...sim.counters };
    await sim.sendFromContact(contact.number, phone.number, 'during the close', { id });
    await until(() => runner.socketGeneration > gen && runner.state === 'open', {
      what: 'reconnected',
      timeoutMs: 15_000,
    });
    await until(() => inbound.includes(id), { what: 'the message caught by the close' });
    // WhatsApp got no receipt and sent the copy again; it cannot be decrypted twice, and the
    // retry it causes brings the same id once more, which the runner does not emit again.
    await until(() => sim.counters.inboundRedelivered > before.inboundRedelivered, {
      what: 'redelivery',
    });
    const after = await sim.sendFromContact(contact.number, phone.number, 'after the close');
    await until(() => inbound.includes(after.id), { what: 'a later message' });
    expect(inbound.filter((x) => x === id)).toHaveLength(1);
    await runner.stop();
  });

  it('wipes auth and ends logged_out on 401, without reconnecting', async () => {
    const phone = sim.createPhone();
    const device = sim.createPairedDevice(phone.number);
    const auth = memoryAuth();
    Object.assign(auth.creds(), device.creds);
    const { runner, states } = runnerFor(sim, auth, 's401');
    await runner.start();
    await until(() => runner.state === 'open', { what: 'open' });
    const gen = runner.socketGeneration;
    sim.disconnect(device.deviceJid, { kind: 'stream-error', code: 401 });
    await until(() => runner.state === 'logged_out', { what: 'logged_out' });
    expect(auth.wipes()).toBe(1);
    expect(runner.socketGeneration).toBe(gen);
    expect(states).not.toContain('reconnecting');
  });

  it('stops in conflict after repeated 440s instead of looping', async () => {
    const phone = sim.createPhone();
    const device = sim.createPairedDevice(phone.number);
    const auth = memoryAuth();
    Object.assign(auth.creds(), device.creds);
    const { runner } = runnerFor(sim, auth, 's440');
    await runner.start();
    for (let i = 0; i < 3; i++) {
      await until(() => runner.state === 'open', { what: `open #${i}` });
      sim.disconnect(device.deviceJid, { kind: 'conflict', type: 'replaced' });
      await until(() => runner.state !== 'open', { what: 'closed' });
    }
    await until(() => runner.state === 'conflict', { what: 'conflict' });
    expect(runner.socketGeneration).toBe(3);
  });

  it('refuses a server whose certificate chain is not signed by the trusted root', async () => {
    const rogue = await WaSim.start();
    try {
      // Trust stays on the first sim's root: the rogue sim's chain must fail the strict check.
      trustSimulatorRoot(sim.rootPublicKey);
      const auth = memoryAuth();
      const { runner, statuses } = runnerFor(rogue, auth, 'srogue', {});
      const qrs: string[] = [];
      runner.on('qr', (e) => qrs.push(e.qr));
      await runner.start();
      await until(() => runner.state === 'failed', {
        what: 'failed after refusing the server',
        timeoutMs: 20_000,
      });
      expect(qrs).toHaveLength(0);
      expect(statuses.some((s) => s.state === 'open')).toBe(false);
      expect(runner.socketGeneration).toBe(1);
      expect(runner.status.reason).toMatch(/certificate/);
    } finally {
      await rogue.stop();
    }
  });
});
