// Two-way traffic with socket closes: every session and one contact message each other at the same
// time while half the sessions' sockets are closed by the server mid-round. Shared by the
// `two-way-chaos` bench and its cluster test.
import { WafleetClient } from '@wafleet/client';
import { until } from '@wafleet/test-support/harness';
import type { TestCluster } from './test-cluster.js';

export interface TwoWayChaosOptions {
  rounds: number;
  /** Messages each way per session and round. */
  perRound: number;
  /** How long to wait for the last messages once the closes are over. */
  settleMs: number;
}

export interface TwoWayChaosResult {
  sentBySessions: number;
  decryptedBySim: number;
  simDecryptErrors: number;
  sentByContact: number;
  receivedBySessions: number;
  /** `message.received` events for an inbound message a session had already reported. */
  duplicatesReceived: number;
  /** Inbound stanzas the sim sent again because a closed socket never receipted them. */
  inboundRedelivered: number;
  /** Retry receipts from the sessions (a copy they could not decrypt) and the sim's answers. */
  retryReceipts: number;
  retriesResent: number;
  /** Retry receipts the contact sent for session messages it could not decrypt. */
  retryReceiptsSent: number;
}

/** Runs the scenario on `cluster`'s paired, open sessions (`sessionId`, `phone`, `deviceJid`). */
export async function runTwoWayChaos(
  cluster: TestCluster,
  paired: Array<{ sessionId: string; phone: string; deviceJid: string }>,
  options: TwoWayChaosOptions,
): Promise<TwoWayChaosResult> {
  const ids = paired.map((p) => p.sessionId);
  const client = new WafleetClient({ redisUrl: cluster.redis.url, prefix: cluster.prefix });
  try {
    const contact = (await cluster.sim.control.createContact()).number;
    const inboundIds = new Set<string>();
    let duplicates = 0;
    const receivedBySessions = async () => {
      const entries = await cluster.client.xrange(cluster.keys.events(), '-', '+');
      const got = new Set<string>();
      duplicates = 0;
      for (const [, f] of entries) {
        if (f[3] !== 'message.received') continue;
        const id = (JSON.parse(f[7]!) as { id?: string }).id;
        if (!id || !inboundIds.has(id)) continue;
        if (got.has(`${f[1]}/${id}`)) duplicates++;
        got.add(`${f[1]}/${id}`);
      }
      return got.size;
    };
    const counters = () => cluster.sim.control.counters();
    const before = await counters();
    const decrypted = async () => (await counters()).messagesReceived - before.messagesReceived;
    let out = 0;
    let inbound = 0;
    const fromContact = async (phone: string, text: string) => {
      const r = await cluster.sim.control.sendFromContact(contact, phone, text);
      inboundIds.add(r.id);
    };
    // Both directions set up first, without faults.
    await Promise.all(
      paired.map((p) => client.send(p.sessionId, contact, { type: 'text', text: 'hi' })),
    );
    out += paired.length;
    await until(async () => (await decrypted()) >= out, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: 'first sends',
    });
    for (const p of paired) await fromContact(p.phone, 'hello');
    inbound += paired.length;
    await until(async () => (await receivedBySessions()) >= inbound, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: 'first replies',
    });
    for (let round = 0; round < options.rounds; round++) {
      await Promise.all(
        paired.map(async (p, i) => {
          const pending: Promise<unknown>[] = [];
          for (let k = 0; k < options.perRound; k++) {
            pending.push(
              client.send(p.sessionId, contact, { type: 'text', text: `r${round} out ${k}` }),
            );
            pending.push(fromContact(p.phone, `r${round} in ${k}`));
            if (k === Math.floor(options.perRound / 2) && i % 2 === round % 2)
              await cluster.sim.control.disconnect(p.deviceJid, { kind: 'close' }).catch(() => {});
            // Spread the traffic over the round, so the closes land among messages in flight.
            await new Promise((r) => setTimeout(r, 5));
          }
          await Promise.all(pending);
        }),
      );
      out += paired.length * options.perRound;
      inbound += paired.length * options.perRound;
      await cluster.waitAllOpen(ids, { timeoutMs: 60_000 });
    }
    await until(async () => (await decrypted()) >= out && (await receivedBySessions()) >= inbound, {
      timeoutMs: options.settleMs,
      intervalMs: 200,
      what: 'every message both ways',
    }).catch(() => undefined);
    const after = await counters();
    return {
      sentBySessions: out,
      decryptedBySim: after.messagesReceived - before.messagesReceived,
      simDecryptErrors: after.decryptErrors - before.decryptErrors,
      sentByContact: inbound,
      receivedBySessions: await receivedBySessions(),
      duplicatesReceived: duplicates,
      inboundRedelivered: after.inboundRedelivered - before.inboundRedelivered,
      retryReceipts: after.retryReceipts - before.retryReceipts,
      retriesResent: after.retriesResent - before.retriesResent,
      retryReceiptsSent: after.retryReceiptsSent - before.retryReceiptsSent,
    };
  } finally {
    await client.close();
  }
}
