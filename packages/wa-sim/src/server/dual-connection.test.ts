import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferJSON } from '@whiskeysockets/baileys';
import { WaSim } from './wa-sim.js';
import { createMemoryAuthState } from '../client/memory-auth-state.js';
import { closedWith, openClient } from '../testing/test-client.js';

// structuredClone would turn Buffers into Uint8Arrays, which libsignal rejects.
const clone = <T>(v: T): T =>
  JSON.parse(JSON.stringify(v, BufferJSON.replacer), BufferJSON.reviver) as T;

describe('dual-connection detector', () => {
  let sim: WaSim;
  beforeAll(async () => {
    sim = await WaSim.start({ media: false });
  });
  afterAll(async () => {
    await sim.stop();
  });
  const target = () => ({ wsUrl: sim.wsUrl, rootPublicKey: sim.rootPublicKey });

  it('fires when two clients use one device’s creds; the older gets 440', async () => {
    const { deviceJid, creds } = sim.createPairedDevice(sim.createPhone().number, {
      reportPreKeyCount: 50,
    });
    const before = sim.counters.dualConnections;
    const first = await openClient(target(), createMemoryAuthState(clone(creds)));
    const second = await openClient(target(), createMemoryAuthState(clone(creds)));
    expect(await closedWith(first)).toBe(440);
    expect(sim.counters.dualConnections - before).toBe(1);
    const ev = sim.dualConnectionEvents.at(-1)!;
    expect(ev.deviceJid).toBe(deviceJid);
    expect(ev.olderConnectionId).not.toBe(ev.newerConnectionId);
    expect(ev.overlapMs).toBeGreaterThanOrEqual(0);
    expect(second.isOpen()).toBe(true);
    second.end();
    await closedWith(second);
  });

  it('stays at zero for one client through 50 reconnects', async () => {
    const { deviceJid, creds } = sim.createPairedDevice(sim.createPhone().number, {
      reportPreKeyCount: 50,
    });
    const auth = createMemoryAuthState(creds);
    const before = sim.counters.dualConnections;
    for (let i = 0; i < 50; i++) {
      const c = await openClient(target(), auth);
      // Alternate client- and server-initiated disconnects.
      if (i % 2 === 0) c.end();
      else sim.disconnect(deviceJid, { kind: 'stream-error', code: 515 });
      await closedWith(c);
    }
    expect(sim.counters.dualConnections - before).toBe(0);
  }, 60_000);
});
