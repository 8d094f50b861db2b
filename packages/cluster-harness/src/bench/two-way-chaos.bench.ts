// `pnpm bench two-way-chaos [--sessions 8] [--rounds 3] [--settle-ms 30000]`: one worker; every session and one contact
// message each other at the same time (10 each way per round) while half the sessions' sockets are
// closed by the server mid-round. Counts what arrived at either end, what the sim could not
// decrypt, and how often WhatsApp's own recovery (redelivery, retry receipts) was needed.
import { TestCluster } from '../test-cluster.js';
import { runTwoWayChaos } from '../two-way-chaos.js';
import { numberArg, report } from './bench-support.js';

const SESSIONS = numberArg('sessions', 8);
const ROUNDS = numberArg('rounds', 3);

const cluster = await TestCluster.start({
  workers: 1,
  env: { SEND_RATE_MAX_PER_SECOND: '100000', LOG_LEVEL: 'warn' },
});
try {
  const paired = await cluster.addPairedSessions(SESSIONS);
  await cluster.waitAllOpen(
    paired.map((p) => p.sessionId),
    { timeoutMs: 120_000 },
  );
  const r = await runTwoWayChaos(cluster, paired, {
    rounds: ROUNDS,
    perRound: 10,
    settleMs: numberArg('settle-ms', 30_000),
  });
  const worker = cluster.workers[0]!;
  report({
    bench: 'two-way-chaos',
    sessions: SESSIONS,
    rounds: ROUNDS,
    sent_by_sessions: r.sentBySessions,
    decrypted_by_sim: r.decryptedBySim,
    sim_decrypt_errors: r.simDecryptErrors,
    sent_by_contact: r.sentByContact,
    received_by_sessions: r.receivedBySessions,
    duplicates_received: r.duplicatesReceived,
    inbound_redelivered: r.inboundRedelivered,
    retry_receipts: r.retryReceipts,
    retries_resent: r.retriesResent,
    contact_retry_receipts: r.retryReceiptsSent,
    worker_decrypt_failures: worker.lines.filter((l) => l.includes('"failed to decrypt message"'))
      .length,
  });
} finally {
  await cluster.stop();
}
process.exit(0);
