/**
 * Connect storm control: at most `max` sockets connect at once, each after a random jitter, so a
 * failover of hundreds of sessions does not hammer WhatsApp or this process's event loop.
 */
export class ConnectLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly max: number,
    private readonly jitterMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  /** Runs `task` once a slot is free (after jitter); the slot is held until it settles. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      if (this.jitterMs > 0)
        await new Promise((r) => setTimeout(r, Math.floor(this.random() * this.jitterMs)));
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  get inFlight(): number {
    return this.active;
  }
}
