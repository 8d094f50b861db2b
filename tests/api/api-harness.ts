// Helpers for the HTTP API tests: spawn the real api process and talk to it like a client would.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { spawnApp, type SpawnedApp } from '@wafleet/test-support';

/** The bootstrap admin key every test api gets. */
export const ADMIN_KEY = `test-admin-${'k'.repeat(40)}`;
export const TEST_KEYRING = `k1:${Buffer.alloc(32, 42).toString('base64')}`;

/** Starts `apps/api/dist/main.js` with test defaults (loopback webhooks allowed, fast retries). */
export async function spawnApi(env: Record<string, string>, label = 'api'): Promise<SpawnedApp> {
  return spawnApp('api', {
    label,
    env: {
      ENCRYPTION_KEYS: TEST_KEYRING,
      API_ADMIN_KEY: ADMIN_KEY,
      WEBHOOK_ALLOWLIST: '127.0.0.1',
      WEBHOOK_BACKOFF_MS: '100',
      WEBHOOK_MAX_ATTEMPTS: '3',
      LOG_LEVEL: 'info',
      ...env,
    },
  });
}

/** One HTTP answer, body parsed as JSON when it is JSON. */
export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: unknown;
  text: string;
}

/** A tiny API client: `call('POST', '/v1/sessions', { body, key })`. */
export class ApiClient {
  readonly key: string | undefined;

  /** Calls with the bootstrap admin key unless another key (or `null`: none) is given. */
  constructor(
    readonly baseUrl: string,
    key: string | null = ADMIN_KEY,
  ) {
    this.key = key ?? undefined;
  }

  withKey(key: string | undefined): ApiClient {
    return new ApiClient(this.baseUrl, key ?? null);
  }

  async call(
    method: string,
    path: string,
    options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ): Promise<ApiAnswer> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.key !== undefined) headers.authorization = `Bearer ${this.key}`;
    let body: string | undefined = options.raw;
    if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('application/json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  }
}

/** True when `body` has the one error shape `{ error: { code, message, details } }`. */
export function isErrorShape(body: unknown): boolean {
  const e = (body as { error?: Record<string, unknown> } | null)?.error;
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof e.code === 'string' &&
    typeof e.message === 'string' &&
    typeof e.details === 'object' &&
    e.details !== null
  );
}

/** One SSE frame. */
export interface SseEvent {
  event: string;
  data: unknown;
  id?: string;
}

/** Reads an SSE response in the background; `events` fills as frames arrive. */
export function readSse(
  url: string,
  headers: Record<string, string>,
): { events: SseEvent[]; status: Promise<number>; ended: Promise<void>; close(): void } {
  const controller = new AbortController();
  const events: SseEvent[] = [];
  let resolveStatus: (s: number) => void = () => undefined;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const ended = (async () => {
    try {
      const res = await fetch(url, {
        headers: { accept: 'text/event-stream', ...headers },
        signal: controller.signal,
      });
      resolveStatus(res.status);
      if (!res.body) return;
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const fields: Record<string, string> = {};
          for (const line of frame.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            if (colon < 0) continue;
            fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
          }
          if (fields.data === undefined) continue;
          events.push({
            event: fields.event ?? 'message',
            data: JSON.parse(fields.data),
            ...(fields.id ? { id: fields.id } : {}),
          });
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
  return { events, status, ended, close: () => controller.abort() };
}

/** A webhook receiver on 127.0.0.1 that records every request and answers with `respond`. */
export interface Receiver {
  url: string;
  requests: { headers: IncomingHttpHeaders; body: string; at: number }[];
  respond: (request: { headers: IncomingHttpHeaders; body: string }) => number;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hook'): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    requests: [],
    respond: () => 200,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const request = { headers: req.headers, body, at: Date.now() };
      receiver.requests.push(request);
      res.writeHead(receiver.respond(request)).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return receiver;
}
