import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaSim } from './wa-sim.js';
import { createMemoryAuthState } from '../client/memory-auth-state.js';
import { closedWith, openClient, type TestClient } from '../testing/test-client.js';
import { until } from '../testing/until.js';

/** Text of every upsert for `id` (undefined for a stub that failed to decrypt). */
function textsOf(client: TestClient, id: string): Array<string | undefined> {
  return client.upserts
    .flatMap((u) => u.messages)
    .filter((m) => m.key.id === id)
    .map((m) => m.message?.conversation ?? undefined);
}

describe('delivery until the device receipts it, and retry receipts both ways (real Baileys)', () => {
  let sim: WaSim;
  const target = () => ({ wsUrl: sim.wsUrl, rootPublicKey: sim.rootPublicKey });
  beforeAll(async () => {
    sim = await WaSim.start({ media: false });
  });
  afterAll(async () => {
    await sim.stop();
  });

  /**
   * A paired client whose connection then suffers `fault` while a contact sends it `text`; resolves
   * once that connection timed out (408), with what a second login needs.
   */
  async function sendThroughFault(
    fault: 'silence' | 'deaf',
    text: string,
    device: { reportPreKeyCount?: number } = { reportPreKeyCount: 50 },
  ) {
    const phone = sim.createPhone();
    const { deviceJid, creds } = sim.createPairedDevice(phone.number, device);
    const auth = createMemoryAuthState(creds);
    const first = await openClient(target(), auth, { keepAliveIntervalMs: 1_000 });
    const before = { ...sim.counters };
    sim.disconnect(deviceJid, { kind: fault });
    const contact = sim.createContact();
    const sent = await sim.sendFromContact(contact.number, phone.number, text);
    expect(sent.delivered).toEqual([deviceJid]);
    // Deaf: the client still gets and decrypts the message; its receipt never arrives.
    if (fault === 'deaf')
      await until(() => textsOf(first, sent.id).includes(text), 10_000, 'first decrypt');
    expect(await closedWith(first, 20_000)).toBe(408);
    return { phone, deviceJid, auth, first, before, contact, sent };
  }

  it('a message the connection never got to the client comes again on the next login', async () => {
    const { deviceJid, auth, first, before, sent } = await sendThroughFault(
      'silence',
      'lost on the wire',
    );
    expect(textsOf(first, sent.id)).toEqual([]);

    const second = await openClient(target(), auth);
    try {
      await until(
        () => textsOf(second, sent.id).includes('lost on the wire'),
        10_000,
        'redelivery',
      );
      await until(
        () => sim.deviceReceipts.some((r) => r.id === sent.id && r.deviceJid === deviceJid),
        5_000,
        'receipt',
      );
      expect(sim.counters.inboundRedelivered - before.inboundRedelivered).toBe(1);
      expect(sim.counters.retryReceipts - before.retryReceipts).toBe(0);
      expect(sim.counters.decryptErrors).toBe(before.decryptErrors);
    } finally {
      second.end();
    }
  });

  it('a client that decrypted it but whose receipt was lost gets the same ciphertext again and drops it', async () => {
    const { phone, auth, before, contact, sent } = await sendThroughFault('deaf', 'receipt lost');

    // Its chain key is used up, so Baileys recognises the copy as one it already handled: it acks
    // it without a retry receipt and emits nothing.
    const second = await openClient(target(), auth);
    try {
      await until(
        () => sim.counters.inboundRedelivered > before.inboundRedelivered,
        10_000,
        'redelivery',
      );
      const next = await sim.sendFromContact(contact.number, phone.number, 'and then');
      await until(() => textsOf(second, next.id).includes('and then'), 10_000, 'next message');
      expect(textsOf(second, sent.id)).toEqual([]);
      expect(sim.counters.inboundRedelivered - before.inboundRedelivered).toBe(1);
      expect(sim.counters.retryReceipts - before.retryReceipts).toBe(0);
    } finally {
      second.end();
    }
  });

  it('a client that lost its session gets a second retry receipt answered from the key bundle it carries', async () => {
    // One-time prekeys uploaded, so the first message uses one and the client deletes it.
    const { phone, auth, first, before, contact, sent } = await sendThroughFault(
      'deaf',
      'session lost',
      {},
    );
    // The device forgets its Signal session with the contact (restored from an old backup, say).
    // The contact's session still points at the used prekey, so its copies cannot be decrypted:
    // the first retry receipt gets the same session again, the second carries a fresh bundle.
    const addresses = [contact.jid, contact.lidJid].map((j) =>
      first.sock.signalRepository.jidToSignalProtocolAddress(j),
    );
    await auth.state.keys.set({ session: Object.fromEntries(addresses.map((a) => [a, null])) });

    const second = await openClient(target(), auth);
    try {
      await until(() => textsOf(second, sent.id).includes('session lost'), 20_000, 'after retries');
      expect(sim.counters.retryReceipts - before.retryReceipts).toBe(2);
      expect(sim.counters.retriesResent - before.retriesResent).toBe(2);
      const next = await sim.sendFromContact(contact.number, phone.number, 'new session works');
      await until(() => textsOf(second, next.id).includes('new session works'), 10_000, 'next');
    } finally {
      second.end();
    }
  });

  it('the contact asks again with a retry receipt; Baileys builds a new session and the message arrives', async () => {
    const phone = sim.createPhone();
    const { creds } = sim.createPairedDevice(phone.number, { reportPreKeyCount: 50 });
    const client = await openClient(target(), createMemoryAuthState(creds));
    try {
      const bob = sim.createContact();
      await client.sock.sendMessage(bob.jid, { text: 'before' });
      await until(() => sim.messagesTo(bob.number).length === 1, 5_000, 'first message');
      const before = { ...sim.counters };
      sim.forgetSessions(bob.number);
      const sent = await client.sock.sendMessage(bob.jid, { text: 'after the reinstall' });
      const rec = await until(
        () => sim.messagesTo(bob.number).find((m) => m.id === sent!.key.id),
        10_000,
        'the message sent again',
      );
      expect(rec.text).toBe('after the reinstall');
      expect(rec.encType).toBe('pkmsg');
      expect(sim.counters.decryptErrors - before.decryptErrors).toBe(1);
      expect(sim.counters.retryReceiptsSent - before.retryReceiptsSent).toBe(1);
      expect(sim.messagesTo(bob.number)).toHaveLength(2);
    } finally {
      client.end();
    }
  });
});
