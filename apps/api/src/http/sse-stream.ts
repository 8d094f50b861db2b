import type { FastifyReply } from 'fastify';

const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

/** Every open SSE stream of the process, so shutdown can end them (they never go idle by themselves). */
export class SseStreams {
  private readonly open = new Set<SseStream>();

  add(stream: SseStream): void {
    this.open.add(stream);
  }

  delete(stream: SseStream): void {
    this.open.delete(stream);
  }

  get size(): number {
    return this.open.size;
  }

  closeAll(): void {
    for (const stream of [...this.open]) stream.close();
  }
}

/**
 * A Server-Sent Events response: takes the socket over from Fastify, writes `event:`/`data:`/`id:`
 * frames, sends a comment every `heartbeatMs` so proxies keep the connection, and runs the
 * registered cleanups once when either side closes.
 */
export class SseStream {
  private closedFlag = false;
  private readonly cleanups: (() => void)[] = [];
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly reply: FastifyReply,
    private readonly streams: SseStreams,
    options: { heartbeatMs?: number } = {},
  ) {
    const headers: Record<string, string | number | string[]> = {};
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) headers[name] = value;
    }
    reply.hijack();
    reply.raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx buffers responses unless told not to; an event stream must flow.
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    reply.raw.write('retry: 2000\n\n');
    this.heartbeat = setInterval(
      () => this.write(': keep-alive\n\n'),
      options.heartbeatMs ?? 15_000,
    );
    this.heartbeat.unref();
    reply.raw.on('close', () => this.close());
    streams.add(this);
  }

  get closed(): boolean {
    return this.closedFlag;
  }

  /** Sends one event; `data` is JSON-encoded (one line, so no frame can be split or injected). */
  send(event: string, data: unknown, id?: string): void {
    const frame = `${id ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    this.write(frame);
  }

  /** Runs `fn` once when the stream closes (client gone, server done, or shutdown). */
  onClose(fn: () => void): void {
    if (this.closedFlag) fn();
    else this.cleanups.push(fn);
  }

  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    clearInterval(this.heartbeat);
    this.streams.delete(this);
    for (const fn of this.cleanups.splice(0)) {
      try {
        fn();
      } catch {
        // A cleanup must not keep the others from running.
      }
    }
    if (!this.reply.raw.writableEnded) this.reply.raw.end();
  }

  private write(chunk: string): void {
    if (this.closedFlag || this.reply.raw.writableEnded) return;
    // A client that stops reading must not make the process buffer without bound.
    if (this.reply.raw.writableLength > MAX_BUFFERED_BYTES) {
      this.close();
      return;
    }
    this.reply.raw.write(chunk);
  }
}
