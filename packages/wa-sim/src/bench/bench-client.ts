// One client process of the wa-sim benchmark: creates its share of pre-paired devices through the
// control API, opens a real Baileys socket for each and sends on command. The benchmark runs
// several of these so no single Node event loop has to drive 1,000 sockets (one process doing that
// saturated its core, spending 400-600 ms of CPU per new socket past 600 of them, while the sim
// it was meant to measure used a fifth of a core).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import makeWASocket, {
  Browsers,
  type AuthenticationCreds,
  type WASocket,
} from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { createMemoryAuthState } from '../client/memory-auth-state.js';
import { waSimSocketOptions } from '../client/wa-sim-socket-options.js';
import { WaSimControlClient } from '../control/control-client.js';
import {
  countFailure,
  decodeWire,
  encodeWire,
  type BenchClientConfig,
  type BenchCommand,
  type BenchEvent,
  type ClientUsage,
  type FailureTally,
} from './bench-wire.js';

const config = JSON.parse(process.argv[2] ?? '{}') as BenchClientConfig;
const logger = pino({ level: 'silent' });
const control = new WaSimControlClient(config.controlUrl);
const failures: FailureTally = {};
const open = new Set<WASocket>();
let stopping = false;

const lag = monitorEventLoopDelay({ resolution: 50 });
lag.enable();

function usage(): ClientUsage {
  const cpu = process.cpuUsage();
  const lagMaxMs = Math.round(lag.max / 1e6);
  lag.reset();
  return {
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    rssBytes: process.memoryUsage().rss,
    lagMaxMs,
  };
}

type EventBody = BenchEvent extends infer E
  ? E extends BenchEvent
    ? Omit<E, keyof ClientUsage | 'failures'>
    : never
  : never;

function emit(body: EventBody): void {
  process.stdout.write(encodeWire({ ...body, ...usage(), failures } as BenchEvent));
}

const startedAt = Date.now();
const noted = new Map<string, number>();

/** Writes the first few occurrences of a failure reason to stderr, with the error's own message. */
function note(reason: string, err?: unknown): void {
  const n = (noted.get(reason) ?? 0) + 1;
  noted.set(reason, n);
  if (n > 3) return;
  const at = ((Date.now() - startedAt) / 1000).toFixed(1);
  const detail = err instanceof Error ? ` (${err.message})` : '';
  process.stderr.write(`[bench client ${config.index} +${at}s] ${reason}${detail}\n`);
}

/** A short, low-cardinality reason for a tally key. */
function reasonOf(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.replace(/\s+/g, ' ').slice(0, 80);
}

/** Rejects with `what timed out` after `ms`; the raced work is abandoned, not cancelled. */
async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` over `items` with at most `limit` in flight; `fn` must not throw. */
async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
}

/**
 * Creates one phone with a paired device. Retried: the single-process bench died on one
 * `fetch failed` from the control API under load (probably undici reusing a keep-alive socket the
 * server had just closed), and one lost request should not lose a device.
 */
async function createDevice(): Promise<AuthenticationCreds> {
  let last: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await withTimeout(
        (async () => {
          const phone = await control.createPhone();
          const device = await control.createPairedDevice(phone.number, {
            reportPreKeyCount: 50,
          });
          return device.creds;
        })(),
        30_000,
        'create paired device',
      );
    } catch (err) {
      last = err;
      note(`prepare: retrying after ${reasonOf(err)}`);
    }
  }
  throw last;
}

function statusOf(update: { lastDisconnect?: { error?: Error | undefined } }): string {
  const err = update.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined;
  return String(err?.output?.statusCode ?? 'unknown');
}

/** Opens one socket; resolves once `open`, rejects on close or after `openTimeoutMs`. */
function openSocket(creds: AuthenticationCreds): Promise<WASocket> {
  const auth = createMemoryAuthState(creds);
  const sock = makeWASocket({
    ...waSimSocketOptions({ wsUrl: config.wsUrl, rootPublicKey: config.rootPublicKey }),
    auth: auth.state,
    logger,
    browser: Browsers.macOS('Chrome'),
    markOnlineOnConnect: false,
    shouldSyncHistoryMessage: () => false,
    syncFullHistory: false,
    generateHighQualityLinkPreview: false,
    connectTimeoutMs: config.openTimeoutMs,
    defaultQueryTimeoutMs: 60_000,
    keepAliveIntervalMs: config.keepAliveIntervalMs,
  });
  sock.ev.on('creds.update', auth.saveCreds);
  return new Promise<WASocket>((resolve, reject) => {
    let state: 'opening' | 'open' | 'failed' = 'opening';
    const timer = setTimeout(() => {
      if (state !== 'opening') return;
      state = 'failed';
      reject(new Error('open: timeout'));
      void sock.end(undefined);
    }, config.openTimeoutMs);
    sock.ev.on('connection.update', (u) => {
      if (u.connection === 'open' && state === 'opening') {
        state = 'open';
        clearTimeout(timer);
        open.add(sock);
        resolve(sock);
      } else if (u.connection === 'close') {
        if (state === 'opening') {
          state = 'failed';
          clearTimeout(timer);
          reject(new Error(`open: closed ${statusOf(u)}`));
        } else if (state === 'open' && open.delete(sock) && !stopping) {
          // A socket that dies later (keep-alive 408, conflict 440, …) is a failure too.
          const reason = `after open: closed ${statusOf(u)}`;
          countFailure(failures, reason);
          note(reason, u.lastDisconnect?.error);
        }
      }
    });
  });
}

const prepared: AuthenticationCreds[] = [];
let connectFailed = 0;

async function prepare(): Promise<void> {
  await pool(
    Array.from({ length: config.devices }, (_v, i) => i),
    config.prepareConcurrency,
    async () => {
      try {
        prepared.push(await createDevice());
      } catch (err) {
        countFailure(failures, `prepare: ${reasonOf(err)}`);
      }
    },
  );
  emit({ type: 'prepared', ok: prepared.length });
}

async function connect(): Promise<void> {
  const started = Date.now();
  // Progress (and the failure tally in it) keeps coming until stop, so the benchmark sees
  // sockets that die during the send rounds as they die.
  setInterval(() => emit({ type: 'progress', open: open.size, failed: connectFailed }), 1_000);
  await pool(prepared, config.openConcurrency, async (creds) => {
    if (Date.now() - started > config.connectDeadlineMs) {
      connectFailed++;
      countFailure(failures, 'open: not attempted (connect deadline)');
      return;
    }
    try {
      await openSocket(creds);
    } catch (err) {
      connectFailed++;
      countFailure(failures, reasonOf(err));
    }
  });
  emit({ type: 'connected', open: open.size, failed: connectFailed });
}

async function send(round: number): Promise<void> {
  let ok = 0;
  const started = Date.now();
  // Bounded: 250 first messages at once (usync, prekey fetch, X3DH each) kept this event loop
  // busy long enough to miss keep-alive replies, and Baileys then closed sockets with 408.
  await pool([...open], config.sendConcurrency, async (sock, i) => {
    if (Date.now() - started > config.roundDeadlineMs) {
      countFailure(failures, 'send: not attempted (round deadline)');
      return;
    }
    // Closed since the round began: already counted as "after open: closed …".
    if (!open.has(sock)) return;
    try {
      await withTimeout(
        sock.sendMessage(config.contactJid, { text: `bench ${config.index}/${i}/${round}` }),
        config.sendTimeoutMs,
        'send',
      );
      ok++;
    } catch (err) {
      countFailure(failures, `send: ${reasonOf(err)}`);
    }
  });
  emit({ type: 'sent', round, ok, open: open.size });
}

async function stop(): Promise<void> {
  stopping = true;
  await Promise.all([...open].map((s) => s.end(undefined)));
  emit({ type: 'stopped' });
  process.exit(0);
}

// Commands are handled one at a time, in order.
let queue: Promise<void> = Promise.resolve();
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const cmd = decodeWire<BenchCommand>(line);
  if (!cmd) return;
  queue = queue.then(async () => {
    if (cmd.cmd === 'connect') await connect();
    else if (cmd.cmd === 'send') await send(cmd.round);
    else await stop();
  });
});
// The benchmark went away (crashed or was killed): don't linger as an orphan with open sockets.
lines.on('close', () => {
  if (!stopping) process.exit(1);
});

// Baileys rejects pending queries of a socket that was ended (e.g. after an open timeout); Node
// would exit on those. They are reported on stderr, a few per reason, not counted as failures:
// the socket they belong to is already counted.
process.on('unhandledRejection', (err) => note(`unhandled rejection: ${reasonOf(err)}`));

void prepare();
