import type { Logger } from 'pino';

/** One step of a shutdown sequence, e.g. "stop taking work" or "close redis". */
export interface ShutdownStep {
  name: string;
  run: () => Promise<void> | void;
}

/**
 * An ordered, idempotent shutdown sequence: the first call runs every step once, in order, and
 * later calls get the same promise. A failing step is logged and the next one still runs, so one
 * broken dependency never leaves leases or sockets behind. The whole sequence is bounded by
 * `timeoutMs`; after that the promise resolves so the process can exit.
 */
export class ShutdownSequence {
  private readonly steps: ShutdownStep[] = [];
  private running: Promise<void> | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly timeoutMs: number,
  ) {}

  /** Adds a step; steps run in the order they were added. */
  add(name: string, run: ShutdownStep['run']): this {
    this.steps.push({ name, run });
    return this;
  }

  get started(): boolean {
    return this.running !== undefined;
  }

  /** Runs the sequence once; every later call returns the same promise. */
  run(reason: string): Promise<void> {
    this.running ??= this.execute(reason);
    return this.running;
  }

  private async execute(reason: string): Promise<void> {
    this.logger.info({ reason }, 'shutting down');
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    const all = (async () => {
      for (const step of this.steps) {
        try {
          await step.run();
        } catch (err) {
          this.logger.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
    })();
    const outcome = await Promise.race([all.then(() => 'done' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.logger.error({ timeoutMs: this.timeoutMs }, 'shutdown timed out');
    } else {
      this.logger.info({ ms: Date.now() - started }, 'shutdown complete');
    }
  }
}
