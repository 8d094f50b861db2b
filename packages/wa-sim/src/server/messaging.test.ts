import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaSim } from './wa-sim.js';
import { createMemoryAuthState } from '../client/memory-auth-state.js';
import { closedWith, openClient, statusesOf, type TestClient } from '../testing/test-client.js';
import { until } from '../testing/until.js';

describe('messages between real Baileys and simulated contacts', () => {
  let sim: WaSim;
  let client: TestClient;
  let deviceJid: string;
  let phoneNumber: string;
  const target = () => ({
    wsUrl: sim.wsUrl,
    rootPublicKey: sim.rootPublicKey,
    mediaCaPem: sim.media!.caPem,
  });

  beforeAll(async () => {
    sim = await WaSim.start();
    const phone = sim.createPhone({ name: 'Alice' });
    phoneNumber = phone.number;
    const paired = sim.createPairedDevice(phone.number);
    deviceJid = paired.deviceJid;
    client = await openClient(target(), createMemoryAuthState(paired.creds));
  });
  afterAll(async () => {
    client?.end();
    await sim.stop();
  });

  it('decrypts a text send, dedupes by id, and receipts give status 3 then 4', async () => {
    const bob = sim.createContact({ name: 'Bob' });
    const sent = await client.sock.sendMessage(bob.jid, { text: 'hello from baileys' });
    const id = sent!.key.id!;
    const [rec] = await until(() =>
      sim.messagesTo(bob.number).length ? sim.messagesTo(bob.number) : undefined,
    );
    expect(rec!.id).toBe(id);
    expect(rec!.text).toBe('hello from baileys');
    expect(rec!.from).toBe(deviceJid);
    expect(rec!.ownCopy).toBe(true);
    expect(rec!.encType).toBe('pkmsg');

    // Like a real phone, receipts come after the client emitted its own append upsert.
    await until(
      () => client.upserts.flatMap((u) => u.messages).find((m) => m.key.id === id),
      5_000,
      'append',
    );
    expect(sim.sendReceipt(id, 'delivered')).toBe(true);
    await until(
      () => client.messageUpdates.find((u) => u.key.id === id && Number(u.update.status) === 3),
      5_000,
      'status 3',
    );
    sim.sendReceipt(id, 'read');
    await until(
      () => client.messageUpdates.find((u) => u.key.id === id && Number(u.update.status) === 4),
      5_000,
      'status 4',
    );

    // Same id again: recorded once, counted as a duplicate.
    await client.sock.relayMessage(bob.jid, { conversation: 'hello again' }, { messageId: id });
    await until(() => rec!.duplicates === 1, 5_000, 'duplicate counted');
    expect(sim.messagesTo(bob.number)).toHaveLength(1);
    const second = await client.sock.sendMessage(bob.jid, { text: 'second' });
    await until(() => sim.messagesTo(bob.number).length === 2);
    // Signal keeps the prekey header until the peer replies, so this is still a pkmsg.
    expect(sim.messagesTo(bob.number)[1]!.encType).toBe('pkmsg');
    expect(sim.messagesTo(bob.number)[1]!.id).toBe(second!.key.id);
  });

  it('acks with an error code → messages.update ERROR', async () => {
    const carol = sim.createContact();
    sim.setAckBehavior(deviceJid, { errorCode: 479 });
    try {
      const sent = await client.sock.sendMessage(carol.jid, { text: 'will fail' });
      await until(() => statusesOf(client, sent!.key.id!).includes(0), 5_000, 'status ERROR');
    } finally {
      sim.setAckBehavior(deviceJid, {});
    }
  });

  it('auto receipts', async () => {
    const dave = sim.createContact({ autoReceipt: 'read' });
    const sent = await client.sock.sendMessage(dave.jid, { text: 'auto' });
    await until(() => statusesOf(client, sent!.key.id!).includes(4), 5_000, 'status READ');
  });

  it('inbound first-contact pkmsg, then msg, reach messages.upsert', async () => {
    const erin = sim.createContact({ name: 'Erin' });
    const first = await sim.sendFromContact(erin.number, phoneNumber, 'first contact via pkmsg');
    expect(first.delivered).toEqual([deviceJid]);
    const up = await until(() =>
      client.upserts.flatMap((u) => u.messages).find((m) => m.key.id === first.id),
    );
    expect(up.key.fromMe).toBe(false);
    expect(up.message?.conversation).toBe('first contact via pkmsg');
    const second = await sim.sendFromContact(erin.number, phoneNumber, 'second via msg');
    const up2 = await until(() =>
      client.upserts.flatMap((u) => u.messages).find((m) => m.key.id === second.id),
    );
    expect(up2.message?.conversation).toBe('second via msg');
    await until(() => sim.deviceReceipts.find((r) => r.id === second.id), 5_000, 'device receipt');
  });

  it('a reply to a contact that messaged first decrypts as msg', async () => {
    const fay = sim.createContact();
    const hi = await sim.sendFromContact(fay.number, phoneNumber, 'hi');
    await until(() => client.upserts.flatMap((u) => u.messages).find((m) => m.key.id === hi.id));
    await client.sock.sendMessage(fay.jid, { text: 'reply' });
    const rec = await until(() => sim.messagesTo(fay.number)[0]);
    expect(rec.text).toBe('reply');
  });

  it('the phone sends to a contact; the linked device gets the fromMe copy', async () => {
    const gus = sim.createContact();
    const sent = await sim.sendFromPhone(phoneNumber, gus.number, 'sent from the phone');
    const up = await until(() =>
      client.upserts.flatMap((u) => u.messages).find((m) => m.key.id === sent.id),
    );
    expect(up.key.fromMe).toBe(true);
    expect(up.key.remoteJid).toBe(gus.jid);
    expect(up.message?.conversation).toBe('sent from the phone');
  });

  it('sends an image: the sim decrypts the exact bytes', async () => {
    const hank = sim.createContact();
    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const sent = await client.sock.sendMessage(hank.jid, {
      image: bytes,
      mimetype: 'image/jpeg',
      jpegThumbnail: '',
    });
    const rec = await until(() => sim.messagesTo(hank.number)[0]);
    expect(rec.id).toBe(sent!.key.id);
    expect(rec.media?.type).toBe('image');
    expect(rec.media?.uploaded).toBe(true);
    expect(rec.media?.bytes?.equals(bytes)).toBe(true);
    expect(rec.media?.fileLength).toBe(5000);
  });

  it('queues messages while offline and replays them on the next login', async () => {
    const ivy = sim.createContact();
    client.end();
    await closedWith(client);
    await until(() => !sim.isOnline(deviceJid));
    const a = await sim.sendFromContact(ivy.number, phoneNumber, 'while offline 1');
    const b = await sim.sendFromContact(ivy.number, phoneNumber, 'while offline 2');
    expect(a.queued).toEqual([deviceJid]);
    expect(sim.queuedFor(deviceJid)).toBe(2);
    client = await openClient(target(), client.auth);
    const got = await until(() => {
      const ids = client.upserts.flatMap((u) => u.messages).map((m) => m.key.id);
      return ids.includes(a.id) && ids.includes(b.id) ? ids : undefined;
    });
    expect(got.indexOf(a.id)).toBeLessThan(got.indexOf(b.id));
    expect(sim.queuedFor(deviceJid)).toBe(0);
  });
});
