import makeWASocket, {
  Browsers,
  type BaileysEventMap,
  type ConnectionState,
  type WASocket,
} from '@whiskeysockets/baileys';
import { pino } from 'pino';
import { createMemoryAuthState, type MemoryAuthState } from '../client/memory-auth-state.js';
import { waSimSocketOptions, type WaSimTarget } from '../client/wa-sim-socket-options.js';
import { until } from './until.js';

const logger = pino({ level: process.env.WA_SIM_TEST_LOG ?? 'silent' });

/** A real Baileys socket against a sim, with its events collected for assertions. */
export interface TestClient {
  sock: WASocket;
  auth: MemoryAuthState;
  updates: Partial<ConnectionState>[];
  upserts: BaileysEventMap['messages.upsert'][];
  messageUpdates: BaileysEventMap['messages.update'];
  /** Resolves with `lastDisconnect` status code when the socket closes. */
  closed: Promise<number | undefined>;
  isOpen: () => boolean;
  qrs: () => string[];
  end: () => void;
}

/** Extra Baileys options a test may override. */
export type TestSocketOverrides = Partial<Parameters<typeof makeWASocket>[0]>;

/** Opens a Baileys socket with test-friendly timeouts. */
export function connectClient(
  target: WaSimTarget,
  auth: MemoryAuthState = createMemoryAuthState(),
  overrides: TestSocketOverrides = {},
): TestClient {
  const sock = makeWASocket({
    ...waSimSocketOptions(target),
    auth: auth.state,
    logger,
    browser: Browsers.macOS('Chrome'),
    printQRInTerminal: false,
    defaultQueryTimeoutMs: 5_000,
    keepAliveIntervalMs: 2_000,
    connectTimeoutMs: 5_000,
    qrTimeout: 5_000,
    markOnlineOnConnect: false,
    shouldSyncHistoryMessage: () => false,
    syncFullHistory: false,
    generateHighQualityLinkPreview: false,
    ...overrides,
  });
  const updates: Partial<ConnectionState>[] = [];
  const upserts: BaileysEventMap['messages.upsert'][] = [];
  const messageUpdates: BaileysEventMap['messages.update'] = [];
  let open = false;
  sock.ev.on('creds.update', auth.saveCreds);
  sock.ev.on('messages.upsert', (u) => upserts.push(u));
  sock.ev.on('messages.update', (u) => messageUpdates.push(...u));
  const closed = new Promise<number | undefined>((resolve) => {
    sock.ev.on('connection.update', (u) => {
      updates.push(u);
      if (u.connection === 'open') open = true;
      if (u.connection === 'close') {
        open = false;
        const err = u.lastDisconnect?.error as { output?: { statusCode?: number } } | undefined;
        resolve(err?.output?.statusCode);
      }
    });
  });
  return {
    sock,
    auth,
    updates,
    upserts,
    messageUpdates,
    closed,
    isOpen: () => open,
    qrs: () => updates.flatMap((u) => (u.qr ? [u.qr] : [])),
    end: () => void sock.end(undefined),
  };
}

/** Connects and waits for `connection: 'open'`. */
export async function openClient(
  target: WaSimTarget,
  auth: MemoryAuthState,
  overrides: TestSocketOverrides = {},
  timeoutMs = 15_000,
): Promise<TestClient> {
  const client = connectClient(target, auth, overrides);
  await until(() => client.isOpen(), timeoutMs, 'connection open');
  return client;
}

/**
 * Every status Baileys reported for message `id`: from `messages.update`, and from the message
 * itself when its event buffer merged an update into the pending `messages.upsert` (it does that
 * when the ack or receipt arrives within the same buffer window as the send).
 */
export function statusesOf(client: TestClient, id: string): number[] {
  const fromUpdates = client.messageUpdates
    .filter((u) => u.key.id === id)
    .map((u) => u.update.status);
  const fromUpserts = client.upserts
    .flatMap((u) => u.messages)
    .filter((m) => m.key.id === id)
    .map((m) => m.status);
  return [...fromUpserts, ...fromUpdates].filter((s): s is number => typeof s === 'number');
}

/** Waits until the client is closed and returns the status code. */
export async function closedWith(
  client: TestClient,
  timeoutMs = 15_000,
): Promise<number | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    timer = setTimeout(
      () => reject(new Error(`socket did not close within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([client.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
