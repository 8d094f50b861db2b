import { cloudApiErrors } from './errors.js';
import { GraphApiError } from './graph-api-error.js';
import type { GraphMessageBody } from './graph-message.js';

/** The Graph calls the client makes, as reported to `onCall` (a metric label). */
export type GraphOp = 'send' | 'upload' | 'exchange' | 'debug';

/** What `onCall` hears after every Graph call: low-cardinality facts, never a token. */
export interface GraphCallInfo {
  op: GraphOp;
  /** 0 when no answer came (network failure, timeout, abort). */
  httpStatus: number;
  graphCode?: number;
}

/** Options of {@link GraphClient}. */
export interface GraphClientOptions {
  /** `https://graph.facebook.com`, or a fake/proxy; a trailing slash is ignored. */
  baseUrl: string;
  /** Graph API version, like `v21.0`. */
  version: string;
  /** Per call, connect to last byte. Default 15 000. */
  timeoutMs?: number;
  onCall?: (info: GraphCallInfo) => void;
  /** Clock for `expiresAt` of exchanged tokens (tests). Default `Date.now`. */
  now?: () => number;
}

/** A file to upload to Graph's media endpoint. */
export interface GraphUpload {
  bytes: Uint8Array;
  mimetype: string;
  fileName?: string;
}

/** What `debug_token` says about a token. */
export interface GraphTokenInfo {
  isValid: boolean;
  /** Epoch ms; 0 = never expires. */
  expiresAt: number;
  /** `SYSTEM_USER`, `USER`, … as Graph names it. */
  type?: string;
  scopes?: string[];
}

type Json = Record<string, unknown>;

const VERSION = /^v\d+\.\d+$/;
const GRAPH_ID = /^\d{1,32}$/;
const TOKEN = /^[\x21-\x7e]+$/;
const MAX_SNIPPET = 200;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** `Retry-After` as ms: delta seconds or an HTTP date. */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (header === null) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

/** Replaces every secret (raw and URL-encoded) in `text`, so no error message can carry one. */
function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < 4) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      out = out.split(form).join('[redacted]');
    }
  }
  return out;
}

function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici wraps the socket error: "fetch failed" with cause ECONNREFUSED/ENOTFOUND/….
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${err.message}: ${typeof code === 'string' ? `${code} ` : ''}${cause.message}`;
  }
  return err.message;
}

/**
 * A small client for the Graph API endpoints a Cloud API session needs: send, media upload,
 * token exchange and token debug. Uses Node's global `fetch`; every failure becomes a
 * {@link GraphApiError} (httpStatus 0 when no answer came), with secrets scrubbed from messages.
 */
export class GraphClient {
  readonly baseUrl: string;
  readonly version: string;
  private readonly timeoutMs: number;
  private readonly onCall: ((info: GraphCallInfo) => void) | undefined;
  private readonly now: () => number;

  constructor(options: GraphClientOptions) {
    const baseUrl = options.baseUrl.replace(/\/+$/, '');
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      throw cloudApiErrors.create('CLOUD_INVALID_ARGUMENT', {
        reason: `baseUrl ${JSON.stringify(options.baseUrl)} is not a URL`,
      });
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw cloudApiErrors.create('CLOUD_INVALID_ARGUMENT', {
        reason: `baseUrl must be http or https, got ${url.protocol}`,
      });
    }
    if (!VERSION.test(options.version)) {
      throw cloudApiErrors.create('CLOUD_INVALID_ARGUMENT', {
        reason: `Graph version must look like v21.0, got ${JSON.stringify(options.version)}`,
      });
    }
    this.baseUrl = baseUrl;
    this.version = options.version;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.onCall = options.onCall;
    this.now = options.now ?? Date.now;
  }

  /** Sends one message: `POST /{version}/{phoneNumberId}/messages`. */
  async sendMessage(
    token: string,
    phoneNumberId: string,
    body: GraphMessageBody,
    signal?: AbortSignal,
  ): Promise<{ wamid: string; waId?: string }> {
    checkToken(token);
    const json = await this.call(
      'send',
      this.url([graphId(phoneNumberId, 'phoneNumberId'), 'messages']),
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      [token],
      signal,
    );
    const message = Array.isArray(json['messages']) ? (json['messages'][0] as unknown) : undefined;
    const wamid = isObject(message) ? str(message['id']) : undefined;
    if (wamid === undefined) throw unexpected('send', 'no messages[0].id');
    const contact = Array.isArray(json['contacts']) ? (json['contacts'][0] as unknown) : undefined;
    const waId = isObject(contact) ? str(contact['wa_id']) : undefined;
    return waId === undefined ? { wamid } : { wamid, waId };
  }

  /** Uploads media for later sends by id: `POST /{version}/{phoneNumberId}/media` (multipart). */
  async uploadMedia(
    token: string,
    phoneNumberId: string,
    file: GraphUpload,
    signal?: AbortSignal,
  ): Promise<string> {
    checkToken(token);
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('type', file.mimetype);
    form.append('file', new Blob([file.bytes], { type: file.mimetype }), file.fileName ?? 'file');
    const json = await this.call(
      'upload',
      this.url([graphId(phoneNumberId, 'phoneNumberId'), 'media']),
      { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form },
      [token],
      signal,
    );
    const id = str(json['id']);
    if (id === undefined) throw unexpected('upload', 'no id');
    return id;
  }

  /** Exchanges a user token for a fresh long-lived one (`grant_type=fb_exchange_token`). */
  async exchangeToken(args: {
    appId: string;
    appSecret: string;
    token: string;
  }): Promise<{ accessToken: string; expiresAt?: number }> {
    checkToken(args.token);
    const startedAt = this.now();
    const json = await this.call(
      'exchange',
      this.url(['oauth', 'access_token'], {
        grant_type: 'fb_exchange_token',
        client_id: graphId(args.appId, 'appId'),
        client_secret: args.appSecret,
        fb_exchange_token: args.token,
      }),
      { method: 'GET' },
      [args.token, args.appSecret],
    );
    const accessToken = str(json['access_token']);
    if (accessToken === undefined) throw unexpected('exchange', 'no access_token');
    const expiresIn = num(json['expires_in']);
    // Counted from when we asked: the token cannot outlive that instant plus expires_in.
    return expiresIn !== undefined && expiresIn > 0
      ? { accessToken, expiresAt: startedAt + expiresIn * 1000 }
      : { accessToken };
  }

  /** Asks Graph about a token (`/debug_token`, authorised by the app token `<appId>|<appSecret>`). */
  async debugToken(args: {
    inputToken: string;
    appId: string;
    appSecret: string;
  }): Promise<GraphTokenInfo> {
    checkToken(args.inputToken);
    const appToken = `${graphId(args.appId, 'appId')}|${args.appSecret}`;
    const json = await this.call(
      'debug',
      this.url(['debug_token'], { input_token: args.inputToken, access_token: appToken }),
      { method: 'GET' },
      [args.inputToken, args.appSecret, appToken],
    );
    const data = json['data'];
    if (!isObject(data)) throw unexpected('debug', 'no data');
    const scopes = Array.isArray(data['scopes'])
      ? data['scopes'].filter((s): s is string => typeof s === 'string')
      : undefined;
    const type = str(data['type']);
    const expiresAt = num(data['expires_at']);
    return {
      isValid: data['is_valid'] === true,
      expiresAt: expiresAt === undefined ? 0 : expiresAt * 1000,
      ...(type !== undefined ? { type } : {}),
      ...(scopes !== undefined ? { scopes } : {}),
    };
  }

  private url(segments: string[], query?: Record<string, string>): string {
    const path = [this.version, ...segments].map(encodeURIComponent).join('/');
    const search = query ? `?${new URLSearchParams(query).toString()}` : '';
    return `${this.baseUrl}/${path}${search}`;
  }

  private report(info: GraphCallInfo): void {
    try {
      this.onCall?.(info);
    } catch {
      // A metrics hook must never turn a sent message into a failed one.
    }
  }

  private async call(
    op: GraphOp,
    url: string,
    init: RequestInit,
    secrets: string[],
    signal?: AbortSignal,
  ): Promise<Json> {
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let status = 0;
    let text: string;
    let retryAfter: string | null = null;
    try {
      const response = await fetch(url, { ...init, signal: combined, redirect: 'error' });
      status = response.status;
      retryAfter = response.headers.get('retry-after');
      text = await response.text();
    } catch (err) {
      this.report({ op, httpStatus: 0 });
      const reason = timeout.aborted
        ? `timed out after ${this.timeoutMs} ms`
        : signal?.aborted
          ? 'aborted by the caller'
          : describeNetworkError(err);
      // An answer whose body never arrived in full is no answer: the caller cannot tell what
      // Graph did, so it is reported like a network failure.
      const message = scrub(
        `Graph ${op} request failed${status ? ` (HTTP ${status}, body incomplete)` : ''}: ${reason}`,
        secrets,
      );
      throw new GraphApiError(message, { httpStatus: 0 });
    }
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (status < 200 || status >= 300) {
      const error = isObject(json) && isObject(json['error']) ? json['error'] : undefined;
      const graphCode = num(error?.['code']);
      this.report({ op, httpStatus: status, ...(graphCode !== undefined ? { graphCode } : {}) });
      throw graphError(op, status, error, text, secrets, retryAfterMs(retryAfter, this.now()));
    }
    this.report({ op, httpStatus: status });
    if (!isObject(json)) throw unexpected(op, 'a body that is not a JSON object', status);
    return json;
  }
}

function graphError(
  op: GraphOp,
  httpStatus: number,
  error: Json | undefined,
  text: string,
  secrets: readonly string[],
  retryAfter: number | undefined,
): GraphApiError {
  const graphCode = num(error?.['code']);
  const graphSubcode = num(error?.['error_subcode']);
  const fbtraceId = str(error?.['fbtrace_id']);
  let message: string;
  if (error !== undefined && graphCode !== undefined) {
    const what = str(error['message']) ?? 'no message';
    const details = str(isObject(error['error_data']) ? error['error_data']['details'] : undefined);
    const sub = graphSubcode !== undefined ? `, subcode ${graphSubcode}` : '';
    message = `Graph error ${graphCode} (HTTP ${httpStatus}${sub}): ${what}`;
    if (details !== undefined && details !== what) message += ` (${details})`;
  } else {
    const snippet = text.replace(/\s+/g, ' ').trim().slice(0, MAX_SNIPPET);
    message = `Graph HTTP ${httpStatus} (${op})${snippet ? `: ${snippet}` : ''}`;
  }
  return new GraphApiError(scrub(message, secrets), {
    httpStatus,
    graphCode,
    graphSubcode,
    fbtraceId,
    retryAfterMs: retryAfter,
  });
}

function unexpected(op: GraphOp, what: string, httpStatus = 200): GraphApiError {
  return new GraphApiError(`Graph ${op} answered HTTP ${httpStatus} with ${what}`, {
    httpStatus,
  });
}

function checkToken(token: string): void {
  // A token with spaces or control characters would break the header (and an undici error would
  // quote it): refuse it here, shaped like Graph's own "invalid token" so it is handled as one.
  if (!TOKEN.test(token)) {
    throw new GraphApiError(
      'Graph error 190 (not sent): the access token is empty or contains characters a token never has',
      { httpStatus: 401, graphCode: 190 },
    );
  }
}

function graphId(value: string, what: string): string {
  if (!GRAPH_ID.test(value)) {
    throw cloudApiErrors.create('CLOUD_INVALID_ARGUMENT', {
      reason: `${what} must be digits (a Graph id)`,
    });
  }
  return value;
}
