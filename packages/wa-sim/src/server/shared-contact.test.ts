import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WaSim } from './wa-sim.js';
import { createMemoryAuthState, type MemoryAuthState } from '../client/memory-auth-state.js';

const tick = () => new Promise((r) => setTimeout(r, 1));
function slow(auth: MemoryAuthState): MemoryAuthState {
  const { get, set } = auth.state.keys;
  auth.state.keys = {
    get: async (type, ids) => {
      await tick();
      return get(type, ids);
    },
    set: async (data) => {
      await tick();
      return set(data);
    },
  };
  return auth;
}
import { closedWith, openClient, type TestClient } from '../testing/test-client.js';
import { until } from '../testing/until.js';

const SOCKETS = 5;
const PER_SOCKET = 40;

describe('several Baileys sockets in one process sending to one contact', () => {
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

  it('every message decrypts', async () => {
    const target = { wsUrl: sim.wsUrl, rootPublicKey: sim.rootPublicKey };
    const contact = sim.createContact();
    for (let i = 0; i < SOCKETS; i++) {
      const phone = sim.createPhone();
      const device = sim.createPairedDevice(phone.number, { reportPreKeyCount: 50 });
      clients.push(await openClient(target, slow(createMemoryAuthState(device.creds))));
    }
    await Promise.all(
      clients.map(async (c, i) => {
        for (let n = 0; n < PER_SOCKET; n++) {
          await c.sock.sendMessage(contact.jid, { text: `socket ${i} #${n}` });
        }
      }),
    );
    await until(
      () => sim.messagesTo(contact.number).length + sim.counters.decryptErrors >= SOCKETS * PER_SOCKET,
      30_000,
      'all messages',
    );
    console.log(JSON.stringify(sim.counters));
    expect(sim.counters.decryptErrors).toBe(0);
    expect(sim.messagesTo(contact.number)).toHaveLength(SOCKETS * PER_SOCKET);
  }, 120_000);
});
