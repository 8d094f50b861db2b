import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaSim } from './wa-sim.js';
import { createMemoryAuthState } from '../client/memory-auth-state.js';
import { closedWith, connectClient, openClient } from '../testing/test-client.js';
import { until } from '../testing/until.js';

describe('QR pairing with real Baileys', () => {
  let sim: WaSim;
  beforeAll(async () => {
    sim = await WaSim.start({ media: false });
  });
  afterAll(async () => {
    await sim.stop();
  });
  const target = () => ({ wsUrl: sim.wsUrl, rootPublicKey: sim.rootPublicKey });

  it('handshake → QR → scan → 515 → login → open, then logs in again without a QR', async () => {
    const phone = sim.createPhone({ name: 'Alice' });
    const auth = createMemoryAuthState();
    const reg = connectClient(target(), auth);
    const qr = await until(() => reg.qrs()[0], 10_000, 'qr');
    expect(qr).toMatch(/^https:\/\/wa\.me\/settings\/linked_devices#/);
    const device = await sim.scan(phone.number, qr);
    expect(await closedWith(reg)).toBe(515);
    expect(auth.state.creds.me?.id).toBe(device.jid);
    expect(auth.state.creds.me?.lid).toBe(device.lid);

    const login = await openClient(target(), auth);
    expect(login.qrs()).toEqual([]);
    expect(sim.isOnline(device.jid)).toBe(true);
    await until(() => sim.devicesOf(phone.number)[0]!.preKeys.length > 0, 10_000, 'prekey upload');
    login.end();
    await closedWith(login);

    // Second run with the saved creds: no QR, straight to open.
    const again = await openClient(target(), auth);
    expect(again.qrs()).toEqual([]);
    again.end();
    await closedWith(again);
    expect(sim.counters.dualConnections).toBe(0);
  });

  it('rotates QR refs and ends with 408 when they run out', async () => {
    const small = await WaSim.start({ media: false, qrRefCount: 2 });
    try {
      const c = connectClient(
        { wsUrl: small.wsUrl, rootPublicKey: small.rootPublicKey },
        undefined,
        { qrTimeout: 300 },
      );
      expect(await closedWith(c)).toBe(408);
      expect(c.qrs()).toHaveLength(2);
    } finally {
      await small.stop();
    }
  });

  it('answers failure 401 to an unknown companion', async () => {
    const other = await WaSim.start({ media: false });
    try {
      const phone = other.createPhone();
      const { creds } = other.createPairedDevice(phone.number);
      // The same creds against a sim that never paired them.
      const c = connectClient(target(), createMemoryAuthState(creds));
      expect(await closedWith(c)).toBe(401);
    } finally {
      await other.stop();
    }
  });
});
