import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaSim } from './wa-sim.js';
import { createMemoryAuthState } from '../client/memory-auth-state.js';
import { closedWith, openClient, type TestClient } from '../testing/test-client.js';
import { until } from '../testing/until.js';

const DEVICES = Number(process.env.WA_SIM_LOAD_DEVICES ?? 200);

describe(`load: ${DEVICES} real Baileys sockets on one sim`, () => {
  let sim: WaSim;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    sim = await WaSim.start({ media: false });
  });
  afterAll(async () => {
    for (const c of clients) c.end();
    await Promise.all(clients.map((c) => closedWith(c).catch(() => undefined)));
    await sim.stop();
  });

  it('connects all at once, every one sends, no dual connections', async () => {
    const target = { wsUrl: sim.wsUrl, rootPublicKey: sim.rootPublicKey };
    const phones = Array.from({ length: DEVICES }, () => sim.createPhone());
    const contact = sim.createContact();
    const t0 = Date.now();
    // Pre-paired devices: no QR, and a reported prekey count so each client skips its 812-key upload.
    const opened = await Promise.all(
      phones.map((p) =>
        openClient(
          target,
          createMemoryAuthState(sim.createPairedDevice(p.number, { reportPreKeyCount: 50 }).creds),
          {
            keepAliveIntervalMs: 30_000,
            defaultQueryTimeoutMs: 30_000,
            connectTimeoutMs: 30_000,
          },
          60_000,
        ),
      ),
    );
    clients.push(...opened);
    const connectMs = Date.now() - t0;
    expect(phones.filter((p) => sim.isOnline(sim.devicesOf(p.number)[0]!.jid))).toHaveLength(
      DEVICES,
    );

    const t1 = Date.now();
    await Promise.all(
      clients.map((c, i) => c.sock.sendMessage(contact.jid, { text: `load ${i}` })),
    );
    await until(
      () => sim.messagesTo(contact.number).length === DEVICES,
      60_000,
      'all messages decrypted',
    );
    const sendMs = Date.now() - t1;
    expect(sim.counters.dualConnections).toBe(0);
    expect(sim.counters.decryptErrors).toBe(0);
    console.log(
      JSON.stringify({ load: 'wa-sim', devices: DEVICES, connect_ms: connectMs, send_ms: sendMs }),
    );
  }, 120_000);
});
