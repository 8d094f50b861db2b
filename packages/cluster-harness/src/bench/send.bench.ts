// `pnpm bench send`: end-to-end sends (enqueue → server ack) on one worker for 1, 10 and 100
// sessions, unthrottled; in the same run raw BullMQ no-op throughput on the same Redis and direct
// Baileys sendMessage loops without the queue (1 session, and as many sessions as the last row in
// one process), so the overheads read as ratios.
import { Queue, Worker, type ConnectionOptions } from 'bullmq';
import { makeWASocket, Browsers } from '@whiskeysockets/baileys';
import { waSimSocketOptions, createMemoryAuthState } from '@wafleet/wa-sim/client';
import { pino } from 'pino';
import { Redis } from 'ioredis';
import { WafleetClient } from '@wafleet/client';
import { TestCluster } from '../test-cluster.js';
import { numberArg, percentile, report } from './bench-support.js';

const MSGS = numberArg('messages', 1000);
const SIZES = (process.env.BENCH_SEND_SESSIONS ?? '1,10,100').split(',').map(Number);

function commandCalls(info: string): number {
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) total += Number(m[1]);
  return total;
}

async function connections(redis: Redis): Promise<{ all: number; blocking: number }> {
  const lines = String(await redis.client('LIST'))
    .trim()
    .split('\n');
  // BullMQ names a worker's blocking connection `…:w:<worker name>` (see SessionSendConsumer).
  return { all: lines.length, blocking: lines.filter((l) => /name=\S*:w:/.test(l)).length };
}

async function endToEnd(sessions: number) {
  const cluster = await TestCluster.start({
    workers: 1,
    env: { SEND_RATE_MAX_PER_SECOND: '100000', MAX_CONCURRENT_CONNECTS: '16', LOG_LEVEL: 'warn' },
  });
  try {
    const connsIdle = await connections(cluster.client);
    const paired = await cluster.addPairedSessions(sessions);
    await cluster.waitAllOpen(
      paired.map((p) => p.sessionId),
      { timeoutMs: 300_000 },
    );
    const connsOwned = await connections(cluster.client);
    const client = new WafleetClient({ redisUrl: cluster.redis.url, prefix: cluster.prefix });
    const to = (await cluster.sim.control.createContact()).number;
    // Warm up: first messages set up Signal sessions (pkmsg) and usync caches.
    await Promise.all(
      paired.map((p) => client.send(p.sessionId, to, { type: 'text', text: 'warm-up' })),
    );
    await waitSent(cluster, 0, sessions);
    const baseSent = await sentCount(cluster);
    const before = commandCalls(await cluster.client.info('commandstats'));
    const per = Math.ceil(MSGS / sessions);
    const enqueuedAt = new Map<string, number>();
    const t0 = Date.now();
    const jobs: { sessionId: string; jobId: string }[] = [];
    for (let i = 0; i < per; i++) {
      await Promise.all(
        paired.map(async (p) => {
          const r = await client.send(p.sessionId, to, { type: 'text', text: `bench ${i}` });
          enqueuedAt.set(r.jobId, Date.now());
          jobs.push({ sessionId: p.sessionId, jobId: r.jobId });
        }),
      );
    }
    await waitSent(cluster, baseSent, jobs.length);
    const elapsed = (Date.now() - t0) / 1000;
    const after = commandCalls(await cluster.client.info('commandstats'));
    const latencies: number[] = [];
    for (const j of jobs) {
      const st = await client.getStatus(j.jobId);
      const sentAt = (st?.result as { sentAt?: number } | undefined)?.sentAt;
      const at = enqueuedAt.get(j.jobId);
      if (sentAt && at) latencies.push(sentAt - at);
    }
    latencies.sort((a, b) => a - b);
    await client.close();
    return {
      row: {
        sessions,
        messages: jobs.length,
        msgs_per_s: Math.round(jobs.length / elapsed),
        p50_ms: Math.round(percentile(latencies, 50)),
        p99_ms: Math.round(percentile(latencies, 99)),
      },
      cmdsPerSend: (after - before) / jobs.length,
      connsPerSession: (connsOwned.all - connsIdle.all) / sessions,
      blockingPerSession: (connsOwned.blocking - connsIdle.blocking) / sessions,
      cluster,
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** Messages the sim decrypted and acked: a cheap counter, so polling does not load the run. */
async function sentCount(cluster: TestCluster): Promise<number> {
  return (await cluster.sim.control.counters()).messagesReceived;
}

async function waitSent(
  cluster: TestCluster,
  base: number,
  expected: number,
  pollMs = 200,
): Promise<void> {
  const target = base + expected;
  const deadline = Date.now() + 600_000;
  for (;;) {
    const n = await sentCount(cluster);
    if (n >= target) return;
    if (Date.now() > deadline)
      throw new Error(`only ${n - base} of ${target - base} sends completed`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

async function bullmqNoop(url: string): Promise<number> {
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  const connection = redis as unknown as ConnectionOptions;
  const queue = new Queue('noop', { connection, prefix: 'bench' });
  const n = 5000;
  await queue.addBulk(
    Array.from({ length: n }, (_, i) => ({
      name: 'noop',
      data: { i },
      opts: { removeOnComplete: true },
    })),
  );
  let done = 0;
  const t0 = Date.now();
  const worker = new Worker('noop', () => Promise.resolve(undefined), {
    connection,
    prefix: 'bench',
    concurrency: 1,
  });
  await new Promise<void>((resolve) => worker.on('completed', () => ++done === n && resolve()));
  const rate = n / ((Date.now() - t0) / 1000);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  redis.disconnect();
  return Math.round(rate);
}

/**
 * The ceiling without wafleet: `sessions` Baileys sockets with in-memory auth in this one process
 * (as one worker would be), each sending its share in a sequential loop, all sessions at once.
 * Returns messages/s until the sim acked all, and this process's CPU per message.
 */
async function directLoop(
  cluster: TestCluster,
  sessions: number,
): Promise<{ msgsPerS: number; cpuMsPerMsg: number }> {
  const to = `${(await cluster.sim.control.createContact()).number}@s.whatsapp.net`;
  const socks: ReturnType<typeof makeWASocket>[] = [];
  for (let i = 0; i < sessions; i++) {
    const phone = await cluster.sim.control.createPhone();
    const device = await cluster.sim.control.createPairedDevice(phone.number, {
      reportPreKeyCount: 100,
    });
    const auth = createMemoryAuthState(device.creds);
    const sock = makeWASocket({
      ...waSimSocketOptions({
        wsUrl: cluster.sim.info.ws_url,
        rootPublicKey: cluster.sim.info.root_public_key,
      }),
      auth: auth.state,
      logger: pino({ level: 'silent' }),
      browser: Browsers.ubuntu('Chrome'),
      markOnlineOnConnect: false,
      shouldSyncHistoryMessage: () => false,
    });
    sock.ev.on('creds.update', auth.saveCreds);
    await new Promise<void>((resolve) =>
      sock.ev.on('connection.update', (u) => u.connection === 'open' && resolve()),
    );
    await sock.sendMessage(to, { text: 'warm-up' });
    socks.push(sock);
  }
  const n = Math.max(1, Math.floor(Math.min(MSGS, 2000) / sessions));
  const base = await sentCount(cluster);
  const cpu0 = process.cpuUsage();
  const t0 = Date.now();
  await Promise.all(
    socks.map(async (sock) => {
      for (let i = 0; i < n; i++) await sock.sendMessage(to, { text: `direct ${i}` });
    }),
  );
  await waitSent(cluster, base, n * sessions, 20);
  const elapsed = (Date.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  for (const sock of socks) await sock.end(undefined);
  return {
    msgsPerS: Math.round((n * sessions) / elapsed),
    cpuMsPerMsg: Math.round(((cpu.user + cpu.system) / 1000 / (n * sessions)) * 100) / 100,
  };
}

const results = [];
let cmds = 0;
let conns = 0;
let blocking = 0;
let noop = 0;
let direct = { msgsPerS: 0, cpuMsPerMsg: 0 };
let directMany = { msgsPerS: 0, cpuMsPerMsg: 0 };
for (const size of SIZES) {
  const r = await endToEnd(size);
  results.push(r.row);
  if (size === SIZES[Math.min(1, SIZES.length - 1)]) cmds = r.cmdsPerSend;
  if (size === SIZES[SIZES.length - 1]) {
    conns = r.connsPerSession;
    blocking = r.blockingPerSession;
  }
  if (size === SIZES[0]) {
    noop = await bullmqNoop(r.cluster.redis.url);
    direct = await directLoop(r.cluster, 1);
  }
  if (size === SIZES[SIZES.length - 1]) {
    directMany = await directLoop(r.cluster, size);
  }
  await r.cluster.stop();
}
report({
  bench: 'send',
  results,
  bullmq_noop_jobs_per_s: noop,
  direct_send_msgs_per_s: direct.msgsPerS,
  // The same direct loop with as many sessions as the last row, all sending at once in one
  // process: Baileys' own ceiling on this machine for that row, and its CPU per message.
  direct_send_sessions: SIZES[SIZES.length - 1],
  direct_send_many_msgs_per_s: directMany.msgsPerS,
  direct_send_cpu_ms_per_msg: directMany.cpuMsPerMsg,
  redis_cmds_per_send: Math.round(cmds * 10) / 10,
  redis_conns_per_session: Math.round(conns * 100) / 100,
  redis_blocking_conns_per_session: Math.round(blocking * 100) / 100,
});
// A client of a stopped cluster may still be retrying its connection: the figures are printed.
process.exit(0);
