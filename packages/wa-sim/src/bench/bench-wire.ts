// The JSON-lines protocol between the wa-sim benchmark and its Baileys client processes.
// Commands go to a client's stdin, events come back on its stdout; anything else a library
// prints on stdout (libsignal logs with console.info) is ignored because it lacks the marker.

/** What the benchmark tells a client process at start (argv[2], JSON). */
export interface BenchClientConfig {
  /** 0-based index of this client process, for message texts and logs. */
  index: number;
  /** How many pre-paired devices this process creates and connects. */
  devices: number;
  wsUrl: string;
  controlUrl: string;
  /** base64 of the sim's Noise root key. */
  rootPublicKey: string;
  /** Where every device sends its messages. */
  contactJid: string;
  /** Sockets opening at once in this process. */
  openConcurrency: number;
  /** A socket that is not `open` by then is ended and counted as a failure. */
  openTimeoutMs: number;
  /** No new socket is started after this long in the connect phase; the rest count as failures. */
  connectDeadlineMs: number;
  /** A `sendMessage` that has not resolved by then counts as a failure. */
  sendTimeoutMs: number;
  /** `sendMessage` calls in flight at once in this process. */
  sendConcurrency: number;
  /** No new send is started after this long in a round; the rest count as failures. */
  roundDeadlineMs: number;
  /** Control-API calls (create phone + paired device) in flight at once. */
  prepareConcurrency: number;
  /** Baileys keep-alive ping interval. */
  keepAliveIntervalMs: number;
}

/** Benchmark → client. */
export type BenchCommand = { cmd: 'connect' } | { cmd: 'send'; round: number } | { cmd: 'stop' };

/** Failure reason → count, cumulative over the client's life. */
export type FailureTally = Record<string, number>;

/** Resource figures a client attaches to every event. */
export interface ClientUsage {
  cpuMs: number;
  rssBytes: number;
  /** Longest event-loop stall since the previous event; over ~5 s Baileys' keep-alive gives up (408). */
  lagMaxMs: number;
}

/** Client → benchmark. */
export type BenchEvent = ClientUsage & { failures: FailureTally } & (
    | { type: 'prepared'; ok: number }
    | { type: 'progress'; open: number; failed: number }
    | { type: 'connected'; open: number; failed: number }
    | { type: 'sent'; round: number; ok: number; open: number }
    | { type: 'stopped' }
  );

/** The key every protocol line carries so library output on the same stream is skipped. */
export const WIRE_MARKER = 'wa_sim_bench';

/** One protocol line (with trailing newline). */
export function encodeWire(msg: BenchCommand | BenchEvent): string {
  return `${JSON.stringify({ [WIRE_MARKER]: 1, ...msg })}\n`;
}

/** Parses a line; undefined unless it is a protocol line. */
export function decodeWire<T extends BenchCommand | BenchEvent>(line: string): T | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line) as Record<string, unknown>;
    return v[WIRE_MARKER] === 1 ? (v as unknown as T) : undefined;
  } catch {
    return undefined;
  }
}

/** Adds `n` failures of `reason`. */
export function countFailure(tally: FailureTally, reason: string, n = 1): void {
  if (n > 0) tally[reason] = (tally[reason] ?? 0) + n;
}

/** Sums several tallies into one. */
export function mergeTallies(tallies: Iterable<FailureTally>): FailureTally {
  const out: FailureTally = {};
  for (const t of tallies)
    for (const [reason, n] of Object.entries(t)) countFailure(out, reason, n);
  return out;
}

/** Total failures in a tally. */
export function tallyTotal(tally: FailureTally): number {
  return Object.values(tally).reduce((a, b) => a + b, 0);
}
