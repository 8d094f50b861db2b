// Benchmark (not a test): a wa-sim CLI process, N pre-paired real Baileys sockets in this process.
// Reports the sim process's RSS and CPU per connected device and how fast it decrypts and acks.
// Usage: node dist/bench/wa-sim.bench.js [devices] [messagesPerDevice]   (or WA_SIM_BENCH_DEVICES)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import makeWASocket, { Browsers } from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { createMemoryAuthState } from '../client/memory-auth-state.js';
import { waSimSocketOptions } from '../client/wa-sim-socket-options.js';
import { WaSimControlClient } from '../control/control-client.js';
import type { SimInfo } from '../control/wire-types.js';

const devices = Number(process.argv[2] ?? process.env.WA_SIM_BENCH_DEVICES ?? 1000);
const perDevice = Number(process.argv[3] ?? process.env.WA_SIM_BENCH_MESSAGES ?? 5);
const batch = Number(process.env.WA_SIM_BENCH_BATCH ?? 50);
const logger = pino({ level: 'silent' });

/** RSS bytes and CPU ms of a Linux process, from /proc. */
function usage(pid: number): { rss: number; cpuMs: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]);
  return { rss: rssKb * 1024, cpuMs: (ticks * 1000) / 100 };
}

async function until(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function main(): Promise<void> {
  const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
  const child = spawn(process.execPath, [cli, '--no-media'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const info = await new Promise<SimInfo>((resolve) =>
    createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l) as SimInfo)),
  );
  const control = new WaSimControlClient(info.control_url);
  const base = usage(child.pid!);
  const contact = await control.createContact();
  const socks: ReturnType<typeof makeWASocket>[] = [];
  const t0 = Date.now();
  for (let i = 0; i < devices; i += batch) {
    const n = Math.min(batch, devices - i);
    await Promise.all(
      Array.from({ length: n }, async () => {
        const phone = await control.createPhone();
        const { creds } = await control.createPairedDevice(phone.number, { reportPreKeyCount: 50 });
        const auth = createMemoryAuthState(creds);
        const sock = makeWASocket({
          ...waSimSocketOptions({ wsUrl: info.ws_url, rootPublicKey: info.root_public_key }),
          auth: auth.state,
          logger,
          browser: Browsers.macOS('Chrome'),
          markOnlineOnConnect: false,
          shouldSyncHistoryMessage: () => false,
          connectTimeoutMs: 60_000,
          defaultQueryTimeoutMs: 60_000,
        });
        sock.ev.on('creds.update', auth.saveCreds);
        await new Promise<void>((resolve, reject) =>
          sock.ev.on('connection.update', (u) => {
            if (u.connection === 'open') resolve();
            if (u.connection === 'close') reject(new Error('bench: socket closed before open'));
          }),
        );
        socks.push(sock);
      }),
    );
  }
  const connectMs = Date.now() - t0;
  const connected = usage(child.pid!);
  const before = (await control.counters()).messagesReceived;
  const total = socks.length * perDevice;
  const t1 = Date.now();
  const cpu1 = usage(child.pid!).cpuMs;
  for (let m = 0; m < perDevice; m++) {
    await Promise.all(socks.map((s, i) => s.sendMessage(contact.jid, { text: `bench ${i}/${m}` })));
  }
  await until(
    async () => (await control.counters()).messagesReceived - before >= total,
    300_000,
    'all messages',
  );
  const sendS = (Date.now() - t1) / 1000;
  const cpu2 = usage(child.pid!).cpuMs;
  await Promise.all(socks.map((s) => s.end(undefined)));
  child.kill('SIGTERM');
  const result = {
    bench: 'wa-sim',
    devices: socks.length,
    connect_ms: connectMs,
    rss_bytes_per_device: Math.round((connected.rss - base.rss) / socks.length),
    cpu_ms_per_device: Math.round(((connected.cpuMs - base.cpuMs) / socks.length) * 100) / 100,
    msgs_per_s: Math.round(total / sendS),
    sim_cpu_ms_per_msg: Math.round(((cpu2 - cpu1) / total) * 100) / 100,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
