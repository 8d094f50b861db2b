/** Options of {@link until}. */
export interface UntilOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Shown in the timeout error, e.g. "session s1 open". */
  what?: string;
}

/**
 * Waits until `check` returns a truthy value (or resolves to one) and returns it. Tests wait on
 * conditions, never on fixed sleeps: this polls and fails with a clear message at the deadline.
 */
export async function until<T>(
  check: () => T | Promise<T>,
  options: UntilOptions = {},
): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const suffix = lastError ? ` (last error: ${(lastError as Error).message})` : '';
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${options.what ?? 'condition'}${suffix}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
