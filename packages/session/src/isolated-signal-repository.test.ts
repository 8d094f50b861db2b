import { createLogger } from '@wafleet/core';
import { until } from '@wafleet/test-support';
import { WaSim } from '@wafleet/wa-sim';
import { createMemoryAuthState } from '@wafleet/wa-sim/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustSimulatorRoot } from './server-trust.js';
import { SessionRunner, type SessionAuth } from './session-runner.js';

const logger = createLogger({ role: 'test', level: process.env.WAFLEET_TEST_LOG ?? 'silent' });

const SESSIONS = 8;
const BURST = 25;

/**
 * Store round trips that complete in batches, the way replies on one shared Redis connection do:
 * every operation pending when the batch flushes resumes in the same macrotask. That interleaving
 * is what lets two sockets' libsignal jobs meet in one queue; instant in-memory calls never do.
 */
let pending: (() => void)[] = [];
function roundTrip(): Promise<void> {
  return new Promise((resolve) => {
    if (pending.length === 0) {
      setTimeout(() => {
        const batch = pending;
        pending = [];
        for (const done of batch) done();
      }, 1);
    }
    pending.push(resolve);
  });
}

/** A memory auth state whose key store costs a round trip per call, like the Redis backend. */
function batchedAuth(sim: WaSim, phone: string): SessionAuth {
  const mem = createMemoryAuthState(sim.createPairedDevice(phone, { reportPreKeyCount: 50 }).creds);
  const inner = mem.state.keys;
  mem.state.keys = {
    get: async (type, ids) => {
      await roundTrip();
      return inner.get(type, ids);
    },
    set: async (data) => {
      await roundTrip();
      await inner.set(data);
    },
  };
  return { state: mem.state, saveCreds: () => Promise.resolve(), wipe: () => Promise.resolve() };
}

describe('several sessions in one process sending to the same contact', () => {
  let sim: WaSim;
  const runners: SessionRunner[] = [];
  beforeAll(async () => {
    sim = await WaSim.start({ media: false });
    trustSimulatorRoot(sim.rootPublicKey);
  });
  afterAll(async () => {
    await Promise.all(runners.map((r) => r.stop()));
    await sim.stop();
  });

  it('every message decrypts at the recipient, also after the burst (no reused counters)', async () => {
    const contact = sim.createContact();
    for (let i = 0; i < SESSIONS; i++) {
      const auth = batchedAuth(sim, sim.createPhone().number);
      const runner = new SessionRunner({
        sessionId: `shared${i}`,
        openAuth: () => Promise.resolve(auth),
        logger,
        socket: { waWebSocketUrl: sim.wsUrl, defaultQueryTimeoutMs: 10_000 },
      });
      runners.push(runner);
    }
    await Promise.all(runners.map((r) => r.start()));
    await until(() => runners.every((r) => r.state === 'open'), {
      timeoutMs: 30_000,
      what: 'all sessions open',
    });

    // Sequential per session (the send queue's concurrency is 1), concurrent across sessions.
    await Promise.all(
      runners.map(async (r, i) => {
        for (let n = 0; n < BURST; n++) await r.sendMessage(contact.jid, { text: `${i} #${n}` });
      }),
    );
    // Then one session at a time: each encrypts from the session state its store really holds, so
    // a session update lost during the burst shows up here as a reused message counter.
    for (const [i, r] of runners.entries()) await r.sendMessage(contact.jid, { text: `${i} last` });

    const total = SESSIONS * (BURST + 1);
    await until(() => sim.messagesTo(contact.number).length + sim.counters.decryptErrors >= total, {
      timeoutMs: 30_000,
      what: `${total} messages at the sim`,
    });
    expect(sim.counters.decryptErrors).toBe(0);
    const got = sim.messagesTo(contact.number);
    expect(got).toHaveLength(total);
    for (let i = 0; i < SESSIONS; i++) {
      const texts = got.filter((m) => m.text?.startsWith(`${i} `)).map((m) => m.text);
      expect(texts).toEqual([
        ...Array.from({ length: BURST }, (_, n) => `${i} #${n}`),
        `${i} last`,
      ]);
    }
  }, 120_000);
});
