import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaSim } from './wa-sim.js';
import type { DisconnectFault } from './sim-types.js';
import { createMemoryAuthState } from '../client/memory-auth-state.js';
import { closedWith, connectClient, openClient } from '../testing/test-client.js';

describe('injected faults → Baileys lastDisconnect status code', () => {
  let sim: WaSim;
  let phone: string;
  beforeAll(async () => {
    sim = await WaSim.start({ media: false });
    phone = sim.createPhone().number;
  });
  afterAll(async () => {
    await sim.stop();
  });
  const target = () => ({ wsUrl: sim.wsUrl, rootPublicKey: sim.rootPublicKey });
  const device = () => sim.createPairedDevice(phone, { reportPreKeyCount: 50 });

  const live: Array<[string, DisconnectFault, number]> = [
    ['stream:error 401', { kind: 'stream-error', code: 401 }, 401],
    ['stream:error 403', { kind: 'stream-error', code: 403 }, 403],
    ['stream:error 503', { kind: 'stream-error', code: 503 }, 503],
    ['stream:error 515', { kind: 'stream-error', code: 515 }, 515],
    ['conflict replaced', { kind: 'conflict', type: 'replaced' }, 440],
    ['conflict device_removed (type ignored)', { kind: 'conflict', type: 'device_removed' }, 440],
    ['unknown stream:error child', { kind: 'unknown-child' }, 500],
    ['failure 401', { kind: 'failure', reason: 401 }, 401],
    ['failure 403', { kind: 'failure', reason: 403 }, 403],
    ['failure without reason', { kind: 'failure' }, 500],
    ['downgrade_webclient', { kind: 'downgrade-webclient' }, 411],
    ['xmlstreamend', { kind: 'xmlstreamend' }, 428],
    ['socket close', { kind: 'close' }, 428],
    ['socket terminate', { kind: 'terminate' }, 428],
    ['silence until keep-alive loss', { kind: 'silence' }, 408],
    ['deaf (uplink lost) until keep-alive loss', { kind: 'deaf' }, 408],
  ];

  it.concurrent.each(live)('%s', async (_name, fault, code) => {
    const { deviceJid, creds } = device();
    const c = await openClient(target(), createMemoryAuthState(creds), {
      keepAliveIntervalMs: 1_000,
    });
    expect(sim.disconnect(deviceJid, fault)).toBe(true);
    expect(await closedWith(c, 20_000)).toBe(code);
  });

  it.concurrent('failure at login (failNextLogin 403)', async () => {
    const { deviceJid, creds } = device();
    sim.failNextLogin(deviceJid, 403);
    expect(await closedWith(connectClient(target(), createMemoryAuthState(creds)))).toBe(403);
  });

  it.concurrent('unlink → 401', async () => {
    const { deviceJid, creds } = device();
    const c = await openClient(target(), createMemoryAuthState(creds));
    sim.unlink(deviceJid);
    expect(await closedWith(c)).toBe(401);
    expect(await closedWith(connectClient(target(), createMemoryAuthState(creds)))).toBe(401);
  });

  it.concurrent('refused logins: terminate (428), failure reason, then allowed again', async () => {
    const { deviceJid, creds } = device();
    const auth = createMemoryAuthState(creds);
    sim.refuseLogins(deviceJid);
    expect(await closedWith(connectClient(target(), auth))).toBe(428);
    sim.refuseLogins(deviceJid, { reason: 503 });
    expect(await closedWith(connectClient(target(), auth))).toBe(503);
    sim.allowLogins(deviceJid);
    const ok = await openClient(target(), auth);
    ok.end();
    await closedWith(ok);
  });

  it.concurrent('refused logins for N ms lapse by themselves', async () => {
    const { deviceJid, creds } = device();
    const auth = createMemoryAuthState(creds);
    // Taken before the refusal starts, so it is never later than the sim's own deadline.
    const deadline = Date.now() + 300;
    sim.refuseLogins(deviceJid, { forMs: 300, reason: 503 });
    expect(await closedWith(connectClient(target(), auth))).toBe(503);
    let opened = false;
    while (!opened) {
      const c = connectClient(target(), auth);
      const code = await Promise.race([
        c.closed,
        new Promise<'open'>((r) =>
          c.sock.ev.on('connection.update', (u) => u.connection === 'open' && r('open')),
        ),
      ]);
      if (code === 'open') {
        opened = true;
        expect(Date.now()).toBeGreaterThanOrEqual(deadline);
        c.end();
        await closedWith(c);
      }
    }
  });
});

describe('handshake-level faults (own sim: they apply to the next connections)', () => {
  it('no ServerHello → 408 timed out', async () => {
    const sim = await WaSim.start({ media: false });
    try {
      sim.stallHandshakes(1);
      const c = connectClient({ wsUrl: sim.wsUrl, rootPublicKey: sim.rootPublicKey }, undefined, {
        connectTimeoutMs: 1_000,
      });
      expect(await closedWith(c)).toBe(408);
    } finally {
      await sim.stop();
    }
  });

  it('HTTP 503 on upgrade: Baileys never closes by itself (protocol notes, surprise 3)', async () => {
    const sim = await WaSim.start({ media: false });
    try {
      sim.rejectUpgrades(1, 503);
      const c = connectClient({ wsUrl: sim.wsUrl, rootPublicKey: sim.rootPublicKey }, undefined, {
        connectTimeoutMs: 1_000,
      });
      const outcome = await Promise.race([
        c.closed,
        new Promise((r) => setTimeout(() => r('still connecting'), 2_500)),
      ]);
      expect(outcome).toBe('still connecting');
      expect(c.isOpen()).toBe(false);
      c.end();
      await closedWith(c);
    } finally {
      await sim.stop();
    }
  });

  it('added latency delays but does not break the session', async () => {
    const sim = await WaSim.start({ media: false });
    try {
      const { creds } = sim.createPairedDevice(sim.createPhone().number, { reportPreKeyCount: 50 });
      sim.setLatency(150);
      const t0 = Date.now();
      const c = await openClient(
        { wsUrl: sim.wsUrl, rootPublicKey: sim.rootPublicKey },
        createMemoryAuthState(creds),
      );
      expect(Date.now() - t0).toBeGreaterThanOrEqual(150 * 3);
      c.end();
      await closedWith(c);
    } finally {
      await sim.stop();
    }
  });
});
