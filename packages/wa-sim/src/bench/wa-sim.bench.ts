// Benchmark (not a test): ONE wa-sim CLI process, N pre-paired real Baileys sockets spread over
// several client processes. Reports the sim process's RSS and CPU per connected device (from
// /proc of the sim pid) and how many messages per second it decrypts and acks, as a final JSON
// line on stdout; progress goes to stderr.
// Usage: node --expose-gc dist/bench/wa-sim.bench.js [devices=1000] [messagesPerDevice=5]
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WaSimControlClient } from '../control/control-client.js';
import type { SimInfo } from '../control/wire-types.js';
import type { SimCounters } from '../server/sim-types.js';
import { BenchClientProcess } from './bench-client-process.js';
import { countFailure, mergeTallies, tallyTotal, type FailureTally } from './bench-wire.js';
import { procUsage } from './proc-usage.js';

function intSetting(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer`);
  return n;
}

const env = process.env;
const devices = intSetting(process.argv[2] ?? env.WA_SIM_BENCH_DEVICES, 1000, 'devices');
const perDevice = intSetting(process.argv[3] ?? env.WA_SIM_BENCH_MESSAGES, 5, 'messagesPerDevice');
const clientCount = Math.max(
  1,
  Math.min(devices, intSetting(env.WA_SIM_BENCH_CLIENTS, 4, 'WA_SIM_BENCH_CLIENTS')),
);
const openConcurrency = intSetting(env.WA_SIM_BENCH_OPEN_CONCURRENCY, 20, 'OPEN_CONCURRENCY');
const openTimeoutMs = intSetting(env.WA_SIM_BENCH_OPEN_TIMEOUT_MS, 60_000, 'OPEN_TIMEOUT_MS');
const connectDeadlineMs = intSetting(env.WA_SIM_BENCH_CONNECT_DEADLINE_MS, 600_000, 'DEADLINE');
const prepareTimeoutMs = intSetting(env.WA_SIM_BENCH_PREPARE_TIMEOUT_MS, 300_000, 'PREPARE');
const sendTimeoutMs = intSetting(env.WA_SIM_BENCH_SEND_TIMEOUT_MS, 60_000, 'SEND_TIMEOUT_MS');
const sendConcurrency = intSetting(env.WA_SIM_BENCH_SEND_CONCURRENCY, 5, 'SEND_CONCURRENCY');
const roundDeadlineMs = intSetting(env.WA_SIM_BENCH_ROUND_DEADLINE_MS, 300_000, 'ROUND_DEADLINE');
const ackTimeoutMs = intSetting(env.WA_SIM_BENCH_ACK_TIMEOUT_MS, 120_000, 'ACK_TIMEOUT_MS');
const clientNice = intSetting(env.WA_SIM_BENCH_CLIENT_NICE, 5, 'WA_SIM_BENCH_CLIENT_NICE');

const started = Date.now();
const loadAtStart = loadavg()[0] ?? 0;
const children: Array<{ kill: () => void }> = [];
// Whatever way this process ends, it must not leave a sim or client processes behind.
process.on('exit', () => {
  for (const c of children) c.kill();
});

function log(msg: string): void {
  const s = ((Date.now() - started) / 1000).toFixed(1);
  process.stderr.write(`[wa-sim bench +${s}s] ${msg}\n`);
}

const mb = (bytes: number): string => `${Math.round(bytes / 1048576)} MB`;
const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const round2 = (n: number): number => Math.round(n * 100) / 100;
const per = (total: number, n: number): number | null => (n > 0 ? round2(total / n) : null);

async function startSim(): Promise<{ child: ChildProcess; info: SimInfo }> {
  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  const child = spawn(process.execPath, [cli, '--no-media'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push({
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  });
  // The readline keeps draining stdout after the ready line: a full pipe would block the sim.
  const lines = createInterface({ input: child.stdout });
  const info = await new Promise<SimInfo>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('wa-sim not ready within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`wa-sim exited with ${code} before ready`)));
    lines.once('line', (l) => {
      clearTimeout(timer);
      resolve(JSON.parse(l) as SimInfo);
    });
  });
  return { child, info };
}

async function stopSim(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** A client's newest connect figures: from `connected` once it came, else from `progress`. */
function connectFigures(c: BenchClientProcess): { open: number; failed: number } {
  const e = c.latest.get('connected') ?? c.latest.get('progress');
  return e?.type === 'connected' || e?.type === 'progress'
    ? { open: e.open, failed: e.failed }
    : { open: 0, failed: 0 };
}

/** The longest event-loop stall the clients reported in their latest events. */
function recentLag(clients: readonly BenchClientProcess[]): number {
  return Math.max(0, ...clients.map((c) => c.last?.lagMaxMs ?? 0));
}

function sumConnect(clients: readonly BenchClientProcess[], field: 'open' | 'failed'): number {
  return clients.reduce((a, c) => a + connectFigures(c)[field], 0);
}

async function main(): Promise<void> {
  const parentFailures: FailureTally = {};
  const { child: sim, info } = await startSim();
  const simPid = sim.pid!;
  const control = new WaSimControlClient(info.control_url);
  const counters = (): Promise<SimCounters> => control.counters();
  const contact = await control.createContact();
  const base = procUsage(simPid);
  log(
    `sim pid ${simPid} ready (rss ${mb(base.rssBytes)}); ${devices} devices over ${clientCount} client processes (nice ${clientNice})`,
  );

  // ---- prepare: each client creates its share of phones + pre-paired devices via the control API
  const clients: BenchClientProcess[] = [];
  for (let i = 0; i < clientCount; i++) {
    const share = Math.floor(devices / clientCount) + (i < devices % clientCount ? 1 : 0);
    const c = new BenchClientProcess(
      {
        index: i,
        devices: share,
        wsUrl: info.ws_url,
        controlUrl: info.control_url,
        rootPublicKey: info.root_public_key,
        contactJid: contact.jid,
        openConcurrency,
        openTimeoutMs,
        connectDeadlineMs,
        sendTimeoutMs,
        sendConcurrency,
        roundDeadlineMs,
        prepareConcurrency: 8,
        keepAliveIntervalMs: 30_000,
      },
      clientNice,
    );
    clients.push(c);
    children.push(c);
  }
  let active = [...clients];
  /** A client that missed a phase is killed; its devices not yet counted are failures. */
  const drop = (c: BenchClientProcess, err: unknown, uncounted: number): void => {
    const reason = err instanceof Error ? err.message.replace(/^client \d+: /, '') : String(err);
    countFailure(parentFailures, `client: ${reason}`, uncounted);
    log(`dropping client ${c.config.index}: ${reason}`);
    c.kill();
    active = active.filter((a) => a !== c);
  };
  const ticker = (fn: () => Promise<void> | void): NodeJS.Timeout =>
    setInterval(() => void Promise.resolve(fn()).catch(() => undefined), 2_000);

  const prepareTick = ticker(async () => {
    log(`prepare: ${(await counters()).pairings}/${devices} devices paired`);
  });
  const preparedOk = await Promise.all(
    clients.map((c) =>
      c.next('prepared', prepareTimeoutMs).then(
        (e) => e.ok,
        (err: unknown) => {
          drop(c, err, c.config.devices);
          return 0;
        },
      ),
    ),
  );
  clearInterval(prepareTick);
  const prepared = procUsage(simPid);
  const pairedTotal = preparedOk.reduce((a, b) => a + b, 0);
  log(
    `prepare: ${pairedTotal}/${devices} devices paired; sim cpu ${secs(prepared.cpuMs - base.cpuMs)}`,
  );

  // ---- connect: every client opens its sockets, each with its own timeout
  const t0 = Date.now();
  const connectTick = ticker(() => {
    const u = procUsage(simPid);
    const clientCpu = active.reduce((a, c) => a + (c.last?.cpuMs ?? 0), 0);
    log(
      `connect: ${sumConnect(active, 'open')}/${pairedTotal} open, ` +
        `${sumConnect(active, 'failed')} failed, ${secs(Date.now() - t0)} elapsed ` +
        `(sim cpu ${secs(u.cpuMs - prepared.cpuMs)}, rss ${mb(u.rssBytes)}; ` +
        `clients cpu ${secs(clientCpu)}, max event-loop lag ${recentLag(active)} ms)`,
    );
  });
  await Promise.all(
    active.map((c) => {
      const waiting = c.next('connected', connectDeadlineMs + openTimeoutMs + 60_000);
      c.send({ cmd: 'connect' });
      return waiting.catch((err: unknown) => {
        // Its open sockets die with it; its own tally already has the failed ones.
        drop(c, err, (preparedOk[c.config.index] ?? 0) - connectFigures(c).failed);
      });
    }),
  );
  clearInterval(connectTick);
  const connectMs = Date.now() - t0;
  const connected = procUsage(simPid);
  const devicesOpen = sumConnect(active, 'open');
  log(
    `connect: ${devicesOpen}/${devices} open in ${secs(connectMs)}; ` +
      `sim cpu ${secs(connected.cpuMs - prepared.cpuMs)}, rss ${mb(connected.rssBytes)}`,
  );

  // ---- send: round by round, every open device sends one message; wait for the sim's acks
  const rounds: Array<{
    round: number;
    msgs: number;
    ms: number;
    msgs_per_s: number | null;
    sim_cpu_ms_per_msg: number | null;
    sim_msgs_per_cpu_s: number | null;
  }> = [];
  let msgsSent = 0;
  let msgsAcked = 0;
  let msgsDecrypted = 0;
  let sendWallMs = 0;
  let sendSimCpuMs = 0;
  for (let round = 0; round < perDevice && active.length > 0; round++) {
    const before = await counters();
    const u0 = procUsage(simPid);
    const t = Date.now();
    const roundTick = ticker(async () => {
      const c = await counters();
      const failed = tallyTotal(mergeTallies(clients.map((k) => k.last?.failures ?? {})));
      log(
        `round ${round}: ${c.acksSent - before.acksSent} acked, ` +
          `${active.reduce((a, k) => a + k.openNow, 0)} sockets open, ` +
          `${failed} failures so far, ${secs(Date.now() - t)} elapsed ` +
          `(sim cpu ${secs(procUsage(simPid).cpuMs - u0.cpuMs)}; ` +
          `clients' max event-loop lag ${recentLag(active)} ms)`,
      );
    });
    const sent = await Promise.all(
      active.map((c) => {
        const waiting = c.next('sent', roundDeadlineMs + sendTimeoutMs + 30_000);
        c.send({ cmd: 'send', round });
        return waiting.then(
          (e) => e.ok,
          (err: unknown) => {
            drop(c, err, c.openNow);
            return 0;
          },
        );
      }),
    );
    const expected = sent.reduce((a, b) => a + b, 0);
    let now = await counters();
    const ackDeadline = Date.now() + ackTimeoutMs;
    while (now.acksSent - before.acksSent < expected && Date.now() < ackDeadline) {
      await new Promise((r) => setTimeout(r, 100));
      now = await counters();
    }
    clearInterval(roundTick);
    const ms = Date.now() - t;
    const cpu = procUsage(simPid).cpuMs - u0.cpuMs;
    const acked = Math.min(expected, now.acksSent - before.acksSent);
    const decrypted = now.messagesReceived - before.messagesReceived;
    countFailure(parentFailures, 'unacked', expected - acked);
    countFailure(parentFailures, 'decrypt errors', now.decryptErrors - before.decryptErrors);
    msgsSent += expected;
    msgsAcked += acked;
    msgsDecrypted += decrypted;
    sendWallMs += ms;
    sendSimCpuMs += cpu;
    rounds.push({
      round,
      msgs: acked,
      ms,
      msgs_per_s: ms > 0 ? Math.round((acked * 1000) / ms) : null,
      sim_cpu_ms_per_msg: per(cpu, acked),
      sim_msgs_per_cpu_s: cpu > 0 ? Math.round((acked * 1000) / cpu) : null,
    });
    log(
      `round ${round}: ${acked}/${expected} acked (${decrypted} decrypted) in ${secs(ms)}, sim cpu ${secs(cpu)}`,
    );
  }

  // ---- stop: end the sockets, then the sim
  const final = procUsage(simPid);
  await Promise.all(
    active.map((c) => {
      const stopped = c.next('stopped', 20_000).catch(() => undefined);
      c.send({ cmd: 'stop' });
      return stopped;
    }),
  );
  const failures = mergeTallies([parentFailures, ...clients.map((c) => c.last?.failures ?? {})]);
  const clientCpuMs = clients.reduce((a, c) => a + (c.last?.cpuMs ?? 0), 0);
  for (const c of clients) c.kill();
  await stopSim(sim);

  const result = {
    bench: 'wa-sim',
    date: new Date().toISOString(),
    host_cpus: availableParallelism(),
    node: process.version,
    devices_requested: devices,
    devices_open: devicesOpen,
    client_processes: clientCount,
    messages_per_device: perDevice,
    connect_ms: connectMs,
    sim_rss_bytes: connected.rssBytes,
    sim_rss_bytes_per_device:
      devicesOpen > 0 ? Math.round((connected.rssBytes - base.rssBytes) / devicesOpen) : null,
    sim_cpu_ms_per_device: per(connected.cpuMs - prepared.cpuMs, devicesOpen),
    sim_pairing_cpu_ms_per_device: per(prepared.cpuMs - base.cpuMs, pairedTotal),
    msgs_sent: msgsSent,
    msgs_acked: msgsAcked,
    msgs_decrypted: msgsDecrypted,
    msgs_per_s: sendWallMs > 0 ? Math.round((msgsAcked * 1000) / sendWallMs) : null,
    sim_cpu_ms_per_msg: per(sendSimCpuMs, msgsAcked),
    // What one core of sim CPU decrypts and acks per second: the sim's own capacity, which the
    // end-to-end msgs_per_s only reaches when the Baileys clients are not the slower side.
    sim_msgs_per_cpu_s: sendSimCpuMs > 0 ? Math.round((msgsAcked * 1000) / sendSimCpuMs) : null,
    // Sim CPU time / wall time while sending: near 1 means the single-threaded sim was the limit.
    sim_busy_while_sending: sendWallMs > 0 ? round2(sendSimCpuMs / sendWallMs) : null,
    rounds,
    sim_cpu_ms_total: Math.round(final.cpuMs - base.cpuMs),
    client_cpu_ms_total: clientCpuMs,
    // Over ~5 s and Baileys' keep-alive closes sockets with 408: then the clients, not the sim, were short of CPU.
    client_event_loop_lag_max_ms: Math.max(0, ...clients.map((c) => c.maxLagMs)),
    // Other work on the machine distorts the figures; this shows how busy it was when we started.
    load_avg_1m_at_start: round2(loadAtStart),
    wall_ms: Date.now() - started,
    failures: tallyTotal(failures),
    failure_reasons: failures,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

// Each phase is bounded on its own; this only catches a bug in that bookkeeping.
const watchdogMs =
  prepareTimeoutMs +
  connectDeadlineMs +
  openTimeoutMs +
  perDevice * (roundDeadlineMs + sendTimeoutMs + ackTimeoutMs + 60_000) +
  300_000;
setTimeout(() => {
  log(`watchdog: still running after ${secs(watchdogMs)}, giving up`);
  process.exit(1);
}, watchdogMs).unref();

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
