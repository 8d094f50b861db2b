import { describe, expect, it } from 'vitest';
import { TestCluster } from '@wafleet/cluster-harness';
import { runTwoWayChaos } from '@wafleet/cluster-harness/two-way-chaos';

describe('two-way traffic while the server closes sockets', () => {
  it('every message arrives once both ways; copies caught mid-close come back through redelivery and retry receipts', async () => {
    const cluster = await TestCluster.start({
      workers: 1,
      env: { SEND_RATE_MAX_PER_SECOND: '100000' },
    });
    try {
      const paired = await cluster.addPairedSessions(4);
      await cluster.waitAllOpen(paired.map((p) => p.sessionId));
      const r = await runTwoWayChaos(cluster, paired, {
        rounds: 2,
        perRound: 10,
        settleMs: 30_000,
      });
      process.stdout.write(`two-way: ${JSON.stringify(r)}\n`);
      // A copy either side could not decrypt is asked for again with a retry receipt, as the
      // phones do; what counts is that every message arrives.
      expect(r.decryptedBySim).toBe(r.sentBySessions);
      expect(r.receivedBySessions).toBe(r.sentByContact);
      expect(r.duplicatesReceived).toBe(0);
    } finally {
      await cluster.stop();
    }
  }, 180_000);
});
