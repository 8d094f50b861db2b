import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  inboundTextPayload,
  statusPayload,
  type InboundTextFields,
  type StatusFields,
} from './webhook-payloads.js';

/** One HTTP request the fake received, as recorded. */
export interface FakeGraphRequest {
  method: string;
  /** Path without the query, e.g. `/v21.0/1234/messages`. */
  path: string;
  query: Record<string, string>;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Parsed JSON, the multipart fields (a file as `{ fileName, mimetype, size }`), or undefined. */
  body: unknown;
  /** Epoch ms. */
  at: number;
}

/** A message the fake accepted on `POST /{version}/{phone-number-id}/messages`. */
export interface FakeGraphMessage {
  phoneNumberId: string;
  body: Record<string, unknown>;
  wamid: string;
  at: number;
}

/** A file the fake accepted on `POST /{version}/{phone-number-id}/media`. */
export interface FakeGraphUpload {
  phoneNumberId: string;
  id: string;
  mimetype: string;
  fileName: string;
  bytes: Buffer;
  at: number;
}

/** The Graph calls {@link FakeGraph.failNext} can fail. */
export type FakeGraphOp = 'send' | 'upload' | 'exchange' | 'debug';

/** Options of {@link FakeGraph.failNext}. */
export interface FailNextOptions {
  /** How many calls fail. Default 1. */
  count?: number;
  /** Default 400. */
  httpStatus?: number;
  message?: string;
  subcode?: number;
  /** Adds a `Retry-After` header (seconds). */
  retryAfterSeconds?: number;
  /** Which calls fail. Default send and upload (token checks running alongside are not hit). */
  ops?: FakeGraphOp[];
}

/** How {@link FakeGraph.addToken} describes a token. */
export interface FakeTokenOptions {
  /** Default true. */
  isValid?: boolean;
  /** Epoch ms; 0 = never (default). A token past it is refused like Graph refuses an expired one. */
  expiresAt?: number;
  /** Default SYSTEM_USER. */
  type?: 'SYSTEM_USER' | 'USER';
  scopes?: string[];
}

/** Options of {@link startFakeGraph}. */
export interface FakeGraphOptions {
  /** Tokens accepted from the start (valid SYSTEM_USER tokens that never expire). */
  validTokens?: string[];
  /** When given, `debug_token` and the token exchange require exactly these app credentials. */
  app?: { appId: string; appSecret: string };
}

/** A fake Graph API on 127.0.0.1 (real HTTP, random port) for tests of Cloud API sessions. */
export interface FakeGraph {
  /** Base URL, like `http://127.0.0.1:40123` (use as `baseUrl`). */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: FakeGraphRequest[];
  /** The messages accepted so far. */
  messages(): FakeGraphMessage[];
  /** The media uploads accepted so far. */
  uploads(): FakeGraphUpload[];
  /** The next `count` calls (of `ops`) answer a Graph error with this code. */
  failNext(graphCode: number, options?: FailNextOptions): void;
  addToken(token: string, options?: FakeTokenOptions): void;
  /** The token is refused from now on (401, code 190) and `debug_token` says it is invalid. */
  revokeToken(token: string): void;
  /**
   * What successful exchanges return from now on: a given token (registered as a valid USER
   * token) and lifetime. Default: a new random token each time, valid 60 days.
   */
  exchangeResult(result: { accessToken?: string; expiresInSeconds?: number | null }): void;
  /** The next `count` token exchanges fail (default: 400, code 190, session expired). */
  failExchange(
    count?: number,
    options?: { graphCode?: number; httpStatus?: number; message?: string },
  ): void;
  /** POSTs a webhook like Meta: JSON body, `X-Hub-Signature-256` right, wrong or absent. */
  postWebhook(
    targetUrl: string,
    payload: unknown,
    options: { appSecret: string; signature?: 'valid' | 'wrong' | 'none' },
  ): Promise<{ status: number; body: string }>;
  inboundTextPayload(fields: InboundTextFields): Record<string, unknown>;
  statusPayload(fields: StatusFields): Record<string, unknown>;
  close(): Promise<void>;
}

interface TokenRecord {
  isValid: boolean;
  expiresAt: number;
  type: 'SYSTEM_USER' | 'USER';
  scopes: string[];
  revoked: boolean;
  issuedAt: number;
}

interface Failure {
  graphCode: number;
  httpStatus: number;
  message: string;
  subcode?: number;
  retryAfterSeconds?: number;
  ops: Set<FakeGraphOp>;
  remaining: number;
}

class GraphReply {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {}
}

const DEFAULT_SCOPES = ['whatsapp_business_messaging', 'whatsapp_business_management'];
const SIXTY_DAYS_S = 60 * 24 * 3600;
const MAX_BODY_BYTES = 120 * 1024 * 1024;

function traceId(): string {
  return randomBytes(8).toString('base64url');
}

function graphError(
  status: number,
  code: number,
  message: string,
  extra: { subcode?: number; type?: string } = {},
): GraphReply {
  return new GraphReply(status, {
    error: {
      message,
      type: extra.type ?? 'OAuthException',
      code,
      ...(extra.subcode !== undefined ? { error_subcode: extra.subcode } : {}),
      fbtrace_id: traceId(),
    },
  });
}

function invalidToken(): GraphReply {
  return graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
}

function newWamid(to: string): string {
  // Real ids are base64 of a small binary record naming the recipient; this has the same look.
  const inner = Buffer.concat([
    Buffer.from([0x1c, 0x18, to.length]),
    Buffer.from(to),
    Buffer.from([0x15, 0x02, 0x00, 0x11, 0x18, 0x12]),
    Buffer.from(randomBytes(9).toString('hex').toUpperCase()),
    Buffer.from([0x00]),
  ]);
  return `wamid.${inner.toString('base64')}`;
}

function headersOf(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY_BYTES) throw new Error('request body too large for the fake Graph API');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** Starts a fake Graph API: messages, media upload, token exchange and debug, like Graph answers. */
export async function startFakeGraph(options: FakeGraphOptions = {}): Promise<FakeGraph> {
  const requests: FakeGraphRequest[] = [];
  const sent: FakeGraphMessage[] = [];
  const uploaded: FakeGraphUpload[] = [];
  const tokens = new Map<string, TokenRecord>();
  const failures: Failure[] = [];
  let exchangeFailures: {
    remaining: number;
    graphCode: number;
    httpStatus: number;
    message: string;
  }[] = [];
  let exchangeNext: { accessToken?: string; expiresInSeconds?: number | null } = {};

  const addToken = (token: string, opts: FakeTokenOptions = {}): void => {
    tokens.set(token, {
      isValid: opts.isValid ?? true,
      expiresAt: opts.expiresAt ?? 0,
      type: opts.type ?? 'SYSTEM_USER',
      scopes: opts.scopes ?? DEFAULT_SCOPES,
      revoked: false,
      issuedAt: Date.now(),
    });
  };
  for (const token of options.validTokens ?? []) addToken(token);

  /** Why a token is refused, or undefined when it works now. */
  const tokenProblem = (token: string | undefined): GraphReply | undefined => {
    const record = token === undefined ? undefined : tokens.get(token);
    if (!record || record.revoked || !record.isValid) return invalidToken();
    if (record.expiresAt !== 0 && record.expiresAt <= Date.now()) {
      return graphError(
        401,
        190,
        `Error validating access token: Session has expired on ${new Date(record.expiresAt).toUTCString()}.`,
        { subcode: 463 },
      );
    }
    return undefined;
  };

  const injected = (op: FakeGraphOp): GraphReply | undefined => {
    const failure = failures.find((f) => f.remaining > 0 && f.ops.has(op));
    if (!failure) return undefined;
    failure.remaining -= 1;
    const reply = graphError(failure.httpStatus, failure.graphCode, failure.message, {
      ...(failure.subcode !== undefined ? { subcode: failure.subcode } : {}),
    });
    return failure.retryAfterSeconds === undefined
      ? reply
      : new GraphReply(reply.status, reply.body, {
          'retry-after': String(failure.retryAfterSeconds),
        });
  };

  const bearer = (headers: Record<string, string>): string | undefined =>
    /^Bearer (\S+)$/.exec(headers['authorization'] ?? '')?.[1];

  const appOk = (appId: string | undefined, appSecret: string | undefined): boolean =>
    options.app === undefined
      ? Boolean(appId && appSecret)
      : appId === options.app.appId && appSecret === options.app.appSecret;

  const handleSend = (
    phoneNumberId: string,
    headers: Record<string, string>,
    body: unknown,
  ): GraphReply => {
    const problem = tokenProblem(bearer(headers));
    if (problem) return problem;
    const failure = injected('send');
    if (failure) return failure;
    const message =
      typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const to = message['to'];
    const type = message['type'];
    if (message['messaging_product'] !== 'whatsapp') {
      return graphError(400, 100, '(#100) The parameter messaging_product is required.');
    }
    if (typeof to !== 'string' || !/^\d{5,20}$/.test(to)) {
      return graphError(400, 100, '(#100) Invalid parameter', { type: 'OAuthException' });
    }
    if (typeof type !== 'string' || typeof message[type] !== 'object' || message[type] === null) {
      return graphError(400, 100, `(#100) Param ${String(type)} must be an object matching type`);
    }
    const wamid = newWamid(to);
    sent.push({ phoneNumberId, body: message, wamid, at: Date.now() });
    return new GraphReply(200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: to, wa_id: to }],
      messages: [{ id: wamid }],
    });
  };

  const handleUpload = async (
    phoneNumberId: string,
    headers: Record<string, string>,
    raw: Buffer,
    record: FakeGraphRequest,
  ): Promise<GraphReply> => {
    const problem = tokenProblem(bearer(headers));
    if (problem) return problem;
    let form: FormData;
    try {
      form = await new Request('http://fake.invalid/', {
        method: 'POST',
        headers: { 'content-type': headers['content-type'] ?? '' },
        body: raw,
      }).formData();
    } catch {
      return graphError(400, 100, '(#100) The request must be multipart/form-data');
    }
    const fields: Record<string, unknown> = {};
    let file: File | undefined;
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') {
        fields[name] = value;
      } else {
        file = value;
        fields[name] = { fileName: value.name, mimetype: value.type, size: value.size };
      }
    }
    record.body = fields;
    const failure = injected('upload');
    if (failure) return failure;
    if (fields['messaging_product'] !== 'whatsapp') {
      return graphError(400, 100, '(#100) The parameter messaging_product is required.');
    }
    if (!file) return graphError(400, 100, '(#100) The parameter file is required.');
    const id = String(randomInt(1e14, 2.8e14)); // 15 digits, like Graph's media ids
    uploaded.push({
      phoneNumberId,
      id,
      mimetype: typeof fields['type'] === 'string' ? fields['type'] : file.type,
      fileName: file.name,
      bytes: Buffer.from(await file.arrayBuffer()),
      at: Date.now(),
    });
    return new GraphReply(200, { id });
  };

  const handleExchange = (query: Record<string, string>): GraphReply => {
    if (query['grant_type'] !== 'fb_exchange_token') {
      return graphError(400, 100, '(#100) Unsupported grant_type');
    }
    if (!appOk(query['client_id'], query['client_secret'])) {
      return graphError(400, 101, 'Error validating application. Invalid application ID.');
    }
    const failure = injected('exchange');
    if (failure) return failure;
    const planned = exchangeFailures.find((f) => f.remaining > 0);
    if (planned) {
      planned.remaining -= 1;
      exchangeFailures = exchangeFailures.filter((f) => f.remaining > 0);
      return graphError(planned.httpStatus, planned.graphCode, planned.message, {
        ...(planned.graphCode === 190 ? { subcode: 463 } : {}),
      });
    }
    const problem = tokenProblem(query['fb_exchange_token']);
    if (problem) return new GraphReply(400, problem.body);
    const expiresIn =
      exchangeNext.expiresInSeconds === undefined ? SIXTY_DAYS_S : exchangeNext.expiresInSeconds;
    const accessToken = exchangeNext.accessToken ?? `EAAF${randomBytes(48).toString('base64url')}`;
    addToken(accessToken, {
      type: 'USER',
      expiresAt: expiresIn === null ? 0 : Date.now() + expiresIn * 1000,
    });
    return new GraphReply(200, {
      access_token: accessToken,
      token_type: 'bearer',
      ...(expiresIn === null ? {} : { expires_in: expiresIn }),
    });
  };

  const handleDebug = (query: Record<string, string>): GraphReply => {
    const [appId, appSecret] = (query['access_token'] ?? '').split('|');
    if (!appOk(appId, appSecret)) {
      return graphError(400, 190, 'Invalid OAuth access token signature.');
    }
    const failure = injected('debug');
    if (failure) return failure;
    const input = query['input_token'];
    const record = input === undefined ? undefined : tokens.get(input);
    if (!record) {
      return new GraphReply(200, {
        data: {
          error: { code: 190, message: 'Invalid OAuth access token - Cannot parse access token' },
          is_valid: false,
          scopes: [],
        },
      });
    }
    const expired = record.expiresAt !== 0 && record.expiresAt <= Date.now();
    const valid = record.isValid && !record.revoked && !expired;
    return new GraphReply(200, {
      data: {
        app_id: options.app?.appId ?? appId,
        type: record.type,
        application: 'wafleet fake app',
        data_access_expires_at: 0,
        expires_at: Math.floor(record.expiresAt / 1000),
        is_valid: valid,
        issued_at: Math.floor(record.issuedAt / 1000),
        scopes: record.scopes,
        ...(valid
          ? {}
          : {
              error: {
                code: 190,
                message: expired ? 'Session has expired' : 'The session has been invalidated',
                subcode: expired ? 463 : 460,
              },
            }),
      },
    });
  };

  const route = async (
    req: IncomingMessage,
    record: FakeGraphRequest,
    raw: Buffer,
  ): Promise<GraphReply> => {
    const segments = record.path.split('/').filter((s) => s !== '');
    const [version, first, second] = segments;
    if (version === undefined || !/^v\d+\.\d+$/.test(version)) {
      return graphError(400, 2500, 'Unknown path components: no Graph API version');
    }
    if (req.method === 'POST' && segments.length === 3 && first !== undefined) {
      if (second === 'messages') {
        let body: unknown;
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          return graphError(400, 100, '(#100) The request body must be JSON');
        }
        record.body = body;
        return handleSend(first, record.headers, body);
      }
      if (second === 'media') return handleUpload(first, record.headers, raw, record);
    }
    if (req.method === 'GET' && first === 'oauth' && second === 'access_token') {
      return handleExchange(record.query);
    }
    if (req.method === 'GET' && first === 'debug_token' && segments.length === 2) {
      return handleDebug(record.query);
    }
    return graphError(
      400,
      100,
      `Unsupported ${(req.method ?? 'get').toLowerCase()} request. Object with ID '${first ?? ''}' does not exist.`,
      { type: 'GraphMethodException' },
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const record: FakeGraphRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams.entries()),
      headers: headersOf(req),
      body: undefined,
      at: Date.now(),
    };
    requests.push(record);
    let reply: GraphReply;
    try {
      const raw = await readBody(req);
      reply = await route(req, record, raw);
    } catch (err) {
      reply = graphError(500, 1, `An unknown error occurred (${(err as Error).message})`);
    }
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    messages: () => [...sent],
    uploads: () => [...uploaded],
    failNext(graphCode, opts = {}) {
      failures.push({
        graphCode,
        httpStatus: opts.httpStatus ?? 400,
        message: opts.message ?? `(#${graphCode}) Injected failure`,
        ...(opts.subcode !== undefined ? { subcode: opts.subcode } : {}),
        ...(opts.retryAfterSeconds !== undefined
          ? { retryAfterSeconds: opts.retryAfterSeconds }
          : {}),
        ops: new Set(opts.ops ?? ['send', 'upload']),
        remaining: opts.count ?? 1,
      });
    },
    addToken,
    revokeToken(token) {
      const record = tokens.get(token);
      if (record) record.revoked = true;
      else addToken(token, { isValid: false });
    },
    exchangeResult(result) {
      exchangeNext = { ...result };
    },
    failExchange(count = 1, opts = {}) {
      exchangeFailures.push({
        remaining: count,
        graphCode: opts.graphCode ?? 190,
        httpStatus: opts.httpStatus ?? 400,
        message: opts.message ?? 'Error validating access token: Session has expired.',
      });
    },
    async postWebhook(targetUrl, payload, opts) {
      const raw = typeof payload === 'string' ? payload : JSON.stringify(payload);
      const mode = opts.signature ?? 'valid';
      const secret = mode === 'wrong' ? `not-${opts.appSecret}` : opts.appSecret;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'facebookexternalua',
      };
      if (mode !== 'none') {
        headers['x-hub-signature-256'] =
          `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
      }
      const response = await fetch(targetUrl, { method: 'POST', headers, body: raw });
      return { status: response.status, body: await response.text() };
    },
    inboundTextPayload,
    statusPayload,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
