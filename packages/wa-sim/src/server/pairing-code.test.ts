import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaSim } from './wa-sim.js';
import { createMemoryAuthState } from '../client/memory-auth-state.js';
import { closedWith, connectClient, openClient } from '../testing/test-client.js';
import { until } from '../testing/until.js';

describe('pairing-code login with real Baileys', () => {
  let sim: WaSim;
  beforeAll(async () => {
    sim = await WaSim.start({ media: false });
  });
  afterAll(async () => {
    await sim.stop();
  });
  const target = () => ({ wsUrl: sim.wsUrl, rootPublicKey: sim.rootPublicKey });

  it('requestPairingCode → phone enters the code → 515 → login → open', async () => {
    const phone = sim.createPhone({ name: 'Pat' });
    const auth = createMemoryAuthState();
    const reg = connectClient(target(), auth, { qrTimeout: 20_000 });
    await until(() => reg.qrs()[0], 10_000, 'first qr');
    const code = await reg.sock.requestPairingCode(phone.number);
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    await expect(sim.enterPairingCode(phone.number, 'WRONGCOD')).rejects.toThrow();
    const device = await sim.enterPairingCode(phone.number, code);
    expect(await closedWith(reg)).toBe(515);
    expect(auth.state.creds.me?.id).toBe(device.jid);
    const login = await openClient(target(), auth);
    login.end();
    await closedWith(login);
  });

  it('a server-side rejection is visible to the client as the stream error code', async () => {
    const phone = sim.createPhone();
    sim.rejectPairingCodes(403);
    try {
      const reg = connectClient(target(), createMemoryAuthState(), { qrTimeout: 20_000 });
      await until(() => reg.qrs()[0], 10_000, 'first qr');
      await reg.sock.requestPairingCode(phone.number);
      expect(await closedWith(reg)).toBe(403);
    } finally {
      sim.rejectPairingCodes(undefined);
    }
  });
});
