// The "Cases" that a single process can show with an in-memory auth state. The cases that
// need Redis or a killed process live with the auth store and the worker.
import { createLogger } from '@wafleet/core';
import { until } from '@wafleet/test-support';
import { WaSim } from '@wafleet/wa-sim';
import { createMemoryAuthState } from '@wafleet/wa-sim/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustSimulatorRoot } from './server-trust.js';
import { SessionRunner, type SessionAuth } from './session-runner.js';

const logger = createLogger({ role: 'test', level: process.env.WAFLEET_TEST_LOG ?? 'silent' });

function slowAuth(creds = createMemoryAuthState().state.creds, saveDelayMs = 0) {
  const mem = createMemoryAuthState(creds);
  const log: string[] = [];
  let inFlight = 0;
  const auth: SessionAuth = {
    state: mem.state,
    async saveCreds() {
      inFlight++;
      log.push(`save-start me=${mem.state.creds.me?.id ?? '-'}`);
      await new Promise((r) => setTimeout(r, saveDelayMs));
      log.push(`save-done me=${mem.state.creds.me?.id ?? '-'}`);
      inFlight--;
    },
    wipe: () => Promise.resolve(),
  };
  return { auth, log, inFlight: () => inFlight };
}

function makeRunner(
  sim: WaSim,
  auth: SessionAuth,
  id: string,
  policy: Partial<ConstructorParameters<typeof SessionRunner>[0]['policy']> = {},
) {
  return new SessionRunner({
    sessionId: id,
    openAuth: () => Promise.resolve(auth),
    logger,
    socket: {
      waWebSocketUrl: sim.wsUrl,
      connectTimeoutMs: 5000,
      keepAliveIntervalMs: 2000,
      defaultQueryTimeoutMs: 5000,
    },
    policy: {
      minDelayMs: 20,
      baseDelayMs: 20,
      maxDelayMs: 200,
      conflictBaseDelayMs: 100,
      ...policy,
    },
  });
}

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) counts[r] = (counts[r] ?? 0) + 1;
  return counts;
}

describe('SessionRunner cases', () => {
  let sim: WaSim;
  beforeAll(async () => {
    sim = await WaSim.start();
    trustSimulatorRoot(sim.rootPublicKey);
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('case 1: after pair-success the 515 reconnect waits for the creds write; no second QR', async () => {
    const phone = sim.createPhone();
    const { auth, log } = slowAuth(undefined, 300);
    const runner = makeRunner(sim, auth, 'c1');
    const qrs: string[] = [];
    const generations: string[] = [];
    runner.on('qr', (e) => qrs.push(e.qr));
    runner.on('status', (e) => {
      if (e.state === 'connecting' || e.state === 'open')
        generations.push(`${e.state}@${runner.socketGeneration}`);
    });
    const order: string[] = log;
    runner.on('status', (e) => {
      if (e.state === 'open') order.push(`open gen=${runner.socketGeneration}`);
    });
    await runner.start();
    await until(() => qrs.length === 1, { what: 'QR' });
    await sim.scan(phone.number, qrs[0]!);
    await until(() => runner.state === 'open', { what: 'open', timeoutMs: 15_000 });
    expect(runner.socketGeneration).toBe(2);
    expect(qrs).toHaveLength(1);
    // The save that carried `me` finished before the second socket opened.
    const pairedSave = order.findIndex((l) => l.startsWith('save-done me=') && !l.endsWith('me=-'));
    const open = order.findIndex((l) => l === 'open gen=2');
    expect(pairedSave).toBeGreaterThanOrEqual(0);
    expect(pairedSave).toBeLessThan(open);
    await runner.stop();
  });

  it('case 4: a close while a creds write is in flight and stale closes give exactly one reconnect; back to open without QR', async () => {
    const phone = sim.createPhone();
    const device = sim.createPairedDevice(phone.number);
    const { auth } = slowAuth(device.creds, 200);
    const runner = makeRunner(sim, auth, 'c4');
    const qrs: string[] = [];
    runner.on('qr', (e) => qrs.push(e.qr));
    let reconnecting = 0;
    runner.on('status', (e) => {
      if (e.state === 'reconnecting') reconnecting++;
    });
    await runner.start();
    await until(() => runner.state === 'open', { what: 'open' });
    const old = runner.socket!;
    // A creds write in flight while the socket dies.
    old.ev.emit('creds.update', {});
    sim.disconnect(device.deviceJid, { kind: 'stream-error', code: 408 });
    await until(() => runner.state === 'reconnecting', { what: 'reconnecting' });
    // Two more closes within 100 ms, from the dead socket: they must change nothing.
    old.ev.emit('connection.update', {
      connection: 'close',
      lastDisconnect: {
        error: Object.assign(new Error('x'), { output: { statusCode: 428 } }),
        date: new Date(),
      },
    });
    await old.end(undefined);
    await until(() => runner.state === 'open', { what: 'open again' });
    expect(runner.socketGeneration).toBe(2);
    expect(reconnecting).toBe(1);
    expect(qrs).toHaveLength(0);
    await runner.stop();
  });

  it('case 6: 100 forced reconnects keep listeners and timers constant; old sockets are silent', async () => {
    const phone = sim.createPhone();
    const device = sim.createPairedDevice(phone.number);
    const { auth } = slowAuth(device.creds);
    // Every open counts as stable here, so the restart budget does not end the loop.
    const runner = makeRunner(sim, auth, 'c6', { stableOpenMs: 0 });
    let opens = 0;
    runner.on('status', (e) => {
      if (e.state === 'open') opens++;
    });
    await runner.start();
    await until(() => runner.state === 'open', { what: 'open' });
    const listeners = () => (runner.socket ? runner.socket.ws.listenerCount('frame') : -1);
    const baseline = { res: resources(), frame: listeners(), self: runner.listenerCount('status') };
    const oldSockets = [runner.socket!];
    for (let i = 1; i <= 100; i++) {
      sim.disconnect(device.deviceJid, { kind: i % 2 ? 'close' : 'terminate' });
      await until(() => runner.state === 'open' && runner.socketGeneration === i + 1, {
        what: `reopen #${i}`,
        timeoutMs: 10_000,
      });
      oldSockets.push(runner.socket!);
    }
    expect(opens).toBe(101);
    expect(listeners()).toBe(baseline.frame);
    expect(runner.listenerCount('status')).toBe(baseline.self);
    // Old sockets keep none of our listeners.
    for (const s of oldSockets.slice(0, -1))
      expect(s.ws.listenerCount('frame')).toBeLessThan(baseline.frame);
    const now = resources();
    expect(now.Timeout ?? 0).toBeLessThanOrEqual((baseline.res.Timeout ?? 0) + 2);
    expect(now.TCPSocketWrap ?? 0).toBeLessThanOrEqual(baseline.res.TCPSocketWrap ?? 0);
    // An event emitted by an old socket is not seen.
    let stale = 0;
    runner.on('qr', () => stale++);
    oldSockets[3]!.ev.emit('connection.update', { qr: 'stale' });
    expect(stale).toBe(0);
    await runner.stop();
  }, 120_000);

  it('case 7: messages queued while offline arrive once each after reconnect; a later duplicate is not emitted', async () => {
    const phone = sim.createPhone();
    const contact = sim.createContact();
    const device = sim.createPairedDevice(phone.number);
    const { auth } = slowAuth(device.creds);
    const runner = makeRunner(sim, auth, 'c7');
    const seen: { id: string; fromMe: boolean; type: string }[] = [];
    runner.on('message', (m) =>
      seen.push({ id: m.message.key.id!, fromMe: !!m.message.key.fromMe, type: m.upsertType }),
    );
    await runner.start();
    await until(() => runner.state === 'open', { what: 'open' });
    await runner.stop();
    const ids: string[] = [];
    for (let i = 0; i < 18; i++)
      ids.push((await sim.sendFromContact(contact.number, phone.number, `offline ${i}`)).id);
    for (let i = 0; i < 2; i++)
      ids.push((await sim.sendFromPhone(phone.number, contact.number, `from phone ${i}`)).id);
    expect(sim.queuedFor(device.deviceJid)).toBe(20);
    await runner.start();
    await until(() => seen.length >= 20, { what: '20 messages', timeoutMs: 20_000 });
    expect(new Set(seen.map((s) => s.id))).toEqual(new Set(ids));
    expect(seen.filter((s) => s.fromMe)).toHaveLength(2);
    await sim.sendFromContact(contact.number, phone.number, 'offline 0 again', { id: ids[0]! });
    const marker = (await sim.sendFromContact(contact.number, phone.number, 'marker')).id;
    await until(() => seen.some((s) => s.id === marker), { what: 'marker' });
    expect(seen.filter((s) => s.id === ids[0])).toHaveLength(1);
    expect(seen).toHaveLength(21);
    await runner.stop();
  });
});

describe('SessionRunner: pairing code and conflicts over time', () => {
  let sim: WaSim;
  beforeAll(async () => {
    sim = await WaSim.start();
    trustSimulatorRoot(sim.rootPublicKey);
  });
  afterAll(async () => {
    await sim.stop();
  });

  it('returns a pairing code only once the server accepted it, and the phone links with it', async () => {
    const phone = sim.createPhone();
    const { auth } = slowAuth();
    const runner = makeRunner(sim, auth, 'pc1');
    await runner.start();
    await until(() => runner.state === 'qr', { what: 'registration (qr)' });
    const code = await runner.requestPairingCode(`+${phone.number}`);
    expect(code).toMatch(/^[A-Z0-9]{8}$/);
    expect(runner.state).toBe('pairing_code');
    await sim.enterPairingCode(phone.number, code);
    await until(() => runner.state === 'open', {
      what: 'open after the pairing code',
      timeoutMs: 15_000,
    });
    expect(runner.me).toMatch(new RegExp(`^${phone.number}:`));
    await runner.stop();
  });

  it('a server-side rejection is an error, not a code, and leaves the session cleanly unpaired', async () => {
    const phone = sim.createPhone();
    const { auth } = slowAuth();
    const wiped: string[] = [];
    auth.wipe = () => {
      wiped.push('wipe');
      return Promise.resolve();
    };
    const runner = makeRunner(sim, auth, 'pc2');
    await runner.start();
    await until(() => runner.state === 'qr', { what: 'registration (qr)' });
    sim.rejectPairingCodes(400);
    try {
      await expect(runner.requestPairingCode(phone.number)).rejects.toMatchObject({
        code: 'PAIRING_REJECTED',
      });
      await until(() => runner.state === 'needs_pairing', { what: 'needs_pairing' });
      expect(wiped).toHaveLength(1);
    } finally {
      sim.rejectPairingCodes(undefined);
      await runner.stop();
    }
  });

  it('case 5: 440 on every connect for up to 60 s keeps reconnects bounded and ends in conflict', async () => {
    const phone = sim.createPhone();
    const device = sim.createPairedDevice(phone.number);
    const { auth } = slowAuth(device.creds);
    // Production conflict timing (5 s floor): this is the loop that must not spin.
    const runner = makeRunner(sim, auth, 'c5', { conflictBaseDelayMs: 5000, minDelayMs: 250 });
    const started = Date.now();
    const conflictTimer = setInterval(() => {
      if (runner.state === 'open')
        sim.disconnect(device.deviceJid, { kind: 'conflict', type: 'replaced' });
    }, 1000);
    try {
      await runner.start();
      await until(() => runner.state === 'conflict' || Date.now() - started > 60_000, {
        what: 'conflict',
        timeoutMs: 65_000,
      });
      expect(runner.state).toBe('conflict');
      expect(runner.socketGeneration).toBeLessThanOrEqual(3);
      // At least two 5 s back-offs happened between the three sockets.
      expect(Date.now() - started).toBeGreaterThanOrEqual(10_000);
    } finally {
      clearInterval(conflictTimer);
      await runner.stop();
    }
  }, 70_000);
});
