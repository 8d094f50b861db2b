import { spawn, type ChildProcess } from 'node:child_process';
import { setPriority } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import {
  decodeWire,
  encodeWire,
  type BenchClientConfig,
  type BenchCommand,
  type BenchEvent,
} from './bench-wire.js';

type EventOf<T extends BenchEvent['type']> = Extract<BenchEvent, { type: T }>;

interface Waiter {
  type: BenchEvent['type'];
  resolve: (e: BenchEvent) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

const script = fileURLToPath(new URL('./bench-client.js', import.meta.url));

/** The benchmark's handle on one Baileys client process: commands in, JSON-line events out. */
export class BenchClientProcess {
  readonly child: ChildProcess;
  /** The newest event of each type (progress figures, failure tallies). */
  readonly latest = new Map<BenchEvent['type'], BenchEvent>();
  /** The newest event of any type: its failure tally is the client's cumulative one. */
  last: BenchEvent | undefined;
  /** The longest event-loop stall the client reported so far. */
  maxLagMs = 0;
  /** Sockets open in the client as of its latest event. */
  openNow = 0;
  /** Set once the process exited; later waits fail at once. */
  exitReason: string | undefined;
  private readonly waiters = new Set<Waiter>();

  constructor(
    readonly config: BenchClientConfig,
    nice: number,
  ) {
    this.child = spawn(process.execPath, [script, JSON.stringify(config)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    if (nice !== 0 && this.child.pid !== undefined) {
      try {
        // The sim is what is measured: when both want the CPU, the sim should win.
        setPriority(this.child.pid, nice);
      } catch {
        // Not permitted here: run at normal priority.
      }
    }
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const event = decodeWire<BenchEvent>(line);
      if (!event) return;
      this.latest.set(event.type, event);
      this.last = event;
      this.maxLagMs = Math.max(this.maxLagMs, event.lagMaxMs);
      if ('open' in event) this.openNow = event.open;
      for (const w of this.waiters) {
        if (w.type !== event.type) continue;
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(event);
      }
    });
    this.child.once('exit', (code, signal) => {
      this.exitReason = `client ${config.index} exited (${signal ?? code})`;
      for (const w of this.waiters) {
        clearTimeout(w.timer);
        w.reject(new Error(this.exitReason));
      }
      this.waiters.clear();
    });
    // Writing to a client that just died must not crash the benchmark.
    this.child.stdin!.on('error', () => undefined);
  }

  /** Sends one command. */
  send(cmd: BenchCommand): void {
    if (this.exitReason === undefined) this.child.stdin!.write(encodeWire(cmd));
  }

  /** The next event of `type`, or a rejection after `timeoutMs` or when the process exits. */
  next<T extends BenchEvent['type']>(type: T, timeoutMs: number): Promise<EventOf<T>> {
    if (this.exitReason !== undefined) return Promise.reject(new Error(this.exitReason));
    return new Promise<EventOf<T>>((resolve, reject) => {
      const waiter: Waiter = {
        type,
        resolve: (e) => resolve(e as EventOf<T>),
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(new Error(`client ${this.config.index}: no "${type}" within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Kills the process if it is still running. */
  kill(): void {
    if (this.exitReason === undefined) this.child.kill('SIGKILL');
  }
}
