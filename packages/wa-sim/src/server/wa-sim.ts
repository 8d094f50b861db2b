import { randomBytes, randomInt } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createSignalIdentity,
  initAuthCreds,
  proto,
  type AuthenticationCreds,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import { WebSocketServer } from 'ws';
import { createCertificates, type SimCertificates } from '../noise/cert-chain.js';
import type { CompanionDevice } from '../model/companion-device.js';
import { SimUser, type AutoReceipt } from '../model/sim-user.js';
import {
  advHmacEnvelope,
  signAsCompanion,
  signCompanion,
  verifyDeviceSignature,
} from './adv-identity.js';
import {
  bigEndian,
  child,
  childBytes,
  children,
  readBigEndian,
  SERVER_JID,
  unixSeconds,
} from './binary-nodes.js';
import {
  decryptFromCompanion,
  encryptToCompanion,
  retryBundle,
  type RetryBundle,
} from './companion-crypto.js';
import { answerIq, bundleNodes } from './iq-responder.js';
import { deriveAdvSecret, primaryHello, type CompanionHello } from './pairing-code.js';
import { SimConnection, type ConnectionHost } from './sim-connection.js';
import { silentLogger, type SimLogger } from './sim-logger.js';
import type {
  AckBehavior,
  DeviceReceipt,
  DisconnectFault,
  DualConnectionEvent,
  LoginRefusal,
  RecordedMessage,
  SimCounters,
} from './sim-types.js';
import { MediaHost } from '../media/media-host.js';
import { loadSimState, saveSimState, type SimState } from '../state/sim-state-file.js';

/** Options for {@link WaSim.start}. */
export interface WaSimOptions {
  /** Websocket port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  logger?: SimLogger;
  /** Persist phones, contacts and paired devices here (and reload them on start). */
  stateFile?: string;
  /** Number of QR refs offered per registration; default 6. */
  qrRefCount?: number;
  /** Start the HTTPS media host for uploads; default true. */
  media?: boolean;
}

/** A new companion's registration attempt: the QR refs and the keys from its ClientPayload. */
interface Registration {
  conn: SimConnection;
  refs: string[];
  noiseKey: Buffer;
  identityKey: Buffer;
  registrationId: number;
  signedPreKey: { id: number; public: Buffer; signature: Buffer };
  pairingCode?: { hello: CompanionHello; phone: string; finish?: (node: BinaryNode) => void };
}

/** Something waiting for a device to be online and ready. */
type Pending =
  | {
      kind: 'message';
      from: string;
      id: string;
      t: string;
      message: proto.IMessage;
      recipient?: string;
    }
  | { kind: 'node'; node: BinaryNode }
  /** A message stanza a connection got but never receipted: sent again, byte for byte. */
  | { kind: 'redeliver'; node: BinaryNode; item: InboundItem };

type InboundItem = Extract<Pending, { kind: 'message' }>;

/** An inbound message written to a connection, waiting for the device's receipt or ack. */
interface Delivery {
  node: BinaryNode;
  item: InboundItem;
}

/** Baileys gives up after 5 retry receipts for one message (`maxMsgRetryCount`); so does the sender. */
const MAX_RETRY_RECEIPTS = 5;
/** Inbound messages remembered per device for answering retry receipts. */
const RECENT_INBOUND_PER_DEVICE = 1000;
/** Outbound messages the sim keeps a retry count for (oldest forgotten first). */
const RETRY_COUNTS_KEPT = 1000;

/** Pre-paired device credentials, ready for Baileys' `auth.creds`. */
export interface PairedDevice {
  deviceJid: string;
  creds: AuthenticationCreds;
}

const MESSAGE_TYPES: Record<string, string> = {
  imageMessage: 'image',
  videoMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
  stickerMessage: 'sticker',
};

/**
 * A local WhatsApp Web server for the real Baileys client: Noise handshake, registration and
 * login, the post-login iqs, Signal decryption of sends, inbound messages, receipts and faults.
 */
export class WaSim implements ConnectionHost {
  /** Monotonic counters. */
  readonly counters: SimCounters = {
    connections: 0,
    handshakes: 0,
    registrations: 0,
    pairings: 0,
    logins: 0,
    loginFailures: 0,
    messagesReceived: 0,
    duplicateMessages: 0,
    decryptErrors: 0,
    acksSent: 0,
    receiptsSent: 0,
    inboundDelivered: 0,
    offlineDelivered: 0,
    inboundRedelivered: 0,
    retryReceipts: 0,
    retriesResent: 0,
    retryReceiptsSent: 0,
    unknownIqs: 0,
    dualConnections: 0,
  };
  /** Every dual-connection event, oldest first. */
  readonly dualConnectionEvents: DualConnectionEvent[] = [];
  /** Receipts the paired devices sent for inbound messages. */
  readonly deviceReceipts: DeviceReceipt[] = [];
  /** Unknown iqs the sim answered with an empty result (xmlns + first child). */
  readonly unknownIqs: string[] = [];

  readonly log: SimLogger;
  /** @internal */ readonly users = new Map<string, SimUser>();
  /** @internal */ readonly lidToNumber = new Map<string, string>();
  /** @internal */ readonly companions = new Map<string, CompanionDevice>();
  /** @internal */ readonly media: MediaHost | undefined;
  /** @internal */ latencyByDevice = new Map<string, number>();

  private readonly live = new Map<string, SimConnection>();
  private readonly connections = new Map<string, SimConnection>();
  private readonly registrations = new Map<SimConnection, Registration>();
  private readonly refs = new Map<string, Registration>();
  private readonly pendingPairingCodes = new Map<string, Registration>();
  private readonly queues = new Map<string, Pending[]>();
  private readonly unreceipted = new Map<SimConnection, Map<string, Delivery>>();
  private readonly recentInbound = new Map<string, Map<string, InboundItem>>();
  /** Retry receipts sent per (device, recipient, message id). */
  private readonly retriesAsked = new Map<string, number>();
  private readonly records = new Map<string, RecordedMessage[]>();
  private readonly recordsByKey = new Map<string, RecordedMessage>();
  private readonly recordsById = new Map<string, RecordedMessage[]>();
  private readonly serial = new Map<string, Promise<unknown>>();
  private readonly refusals = new Map<string, LoginRefusal>();
  private readonly failNext = new Map<string, number>();
  private readonly ackBehavior = new Map<string, AckBehavior>();
  private readonly neverAckIds = new Set<string>();
  private pairingCodeRejection: number | undefined;
  private handshakeStalls = 0;
  private upgradeRejections: { count: number; status: number } = { count: 0, status: 503 };
  private globalLatencyMs = 0;
  private seq = 0;
  private connSeq = 0;
  private saveTimer: NodeJS.Timeout | undefined;
  private readonly http: Server;
  private readonly wss: WebSocketServer;

  private constructor(
    private readonly options: WaSimOptions,
    private certs: SimCertificates,
  ) {
    this.log = options.logger ?? silentLogger;
    this.http = createServer((_req, res) => {
      res.writeHead(426).end('websocket only');
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
    this.http.on('upgrade', (req, socket, head) => {
      if (this.upgradeRejections.count > 0) {
        this.upgradeRejections.count--;
        const status = this.upgradeRejections.status;
        socket.end(
          `HTTP/1.1 ${status} Injected Fault\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
        );
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const conn = new SimConnection(String(++this.connSeq), ws, this.certs, this, this.log);
        conn.latencyMs = this.globalLatencyMs;
        this.connections.set(conn.id, conn);
        this.counters.connections++;
      });
    });
    this.media = options.media === false ? undefined : new MediaHost();
  }

  /** Starts a sim and resolves once it listens. */
  static async start(options: WaSimOptions = {}): Promise<WaSim> {
    const state = options.stateFile ? loadSimState(options.stateFile) : undefined;
    const sim = new WaSim(options, createCertificates(state?.root));
    if (state) sim.restore(state);
    await new Promise<void>((resolve, reject) => {
      sim.http.once('error', reject);
      sim.http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    await sim.media?.start(options.host ?? '127.0.0.1');
    return sim;
  }

  /** `ws://host:port/ws/chat` for Baileys' `waWebSocketUrl`. */
  get wsUrl(): string {
    const { port } = this.http.address() as AddressInfo;
    return `ws://${this.options.host ?? '127.0.0.1'}:${port}/ws/chat`;
  }

  /** The root public key (32 bytes) clients must trust; see the client helper. */
  get rootPublicKey(): Buffer {
    return this.certs.root.public;
  }

  /** Stops listening, closes every connection and flushes the state file. */
  async stop(): Promise<void> {
    for (const conn of this.connections.values()) conn.terminate();
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await this.media?.stop();
    if (this.saveTimer) clearTimeout(this.saveTimer);
    this.saveNow();
  }

  // ---------------------------------------------------------------- users

  /** Creates a simulated phone (an account that links companions). */
  createPhone(opts: { number?: string; name?: string } = {}): SimUser {
    return this.addUser('phone', opts);
  }

  /** Creates a simulated contact with its own Signal identity. */
  createContact(opts: { number?: string; name?: string; autoReceipt?: AutoReceipt } = {}): SimUser {
    return this.addUser('contact', opts);
  }

  /** A phone or contact by number or jid. */
  user(numberOrJid: string): SimUser | undefined {
    const key = numberOrJid.split('@')[0]!.split(':')[0]!;
    if (numberOrJid.endsWith('@lid')) {
      const n = this.lidToNumber.get(key);
      return n ? this.users.get(n) : undefined;
    }
    return this.users.get(key);
  }

  /** Sets which receipts a contact sends automatically. */
  setAutoReceipt(contact: string, mode: AutoReceipt): void {
    this.requireUser(contact).autoReceipt = mode;
    this.persist();
  }

  /** Paired companions of a phone. */
  devicesOf(phone: string): CompanionDevice[] {
    const number = this.requireUser(phone).number;
    return [...this.companions.values()].filter((c) => c.jid.startsWith(`${number}:`));
  }

  /** Whether a device currently has a logged-in connection. */
  isOnline(deviceJid: string): boolean {
    return this.live.get(deviceJid)?.isLive ?? false;
  }

  private addUser(
    kind: 'phone' | 'contact',
    opts: { number?: string; name?: string; autoReceipt?: AutoReceipt },
  ): SimUser {
    const number = opts.number ?? this.freshNumber(kind === 'phone' ? '1555' : '1444');
    if (!/^[0-9]{6,15}$/.test(number))
      throw new Error(`invalid phone number ${number}: 6-15 digits`);
    if (this.users.has(number)) throw new Error(`number ${number} already exists in the sim`);
    let lid = this.freshNumber('9');
    while (this.lidToNumber.has(lid)) lid = this.freshNumber('9');
    const user = new SimUser({
      kind,
      number,
      lid,
      name: opts.name ?? `${kind === 'phone' ? 'Phone' : 'Contact'} ${number.slice(-4)}`,
      ...(opts.autoReceipt ? { autoReceipt: opts.autoReceipt } : {}),
    });
    this.users.set(number, user);
    this.lidToNumber.set(lid, number);
    this.persist();
    return user;
  }

  private freshNumber(prefix: string): string {
    for (;;) {
      const n =
        prefix + String(randomInt(0, 10 ** (14 - prefix.length))).padStart(14 - prefix.length, '0');
      if (!this.users.has(n)) return n;
    }
  }

  private requireUser(numberOrJid: string): SimUser {
    const u = this.user(numberOrJid);
    if (!u) throw new Error(`unknown sim user ${numberOrJid}`);
    return u;
  }

  // ---------------------------------------------------------------- pairing

  /** The phone scans a QR string from Baileys' `connection.update {qr}`; resolves once paired (before the 515). */
  async scan(phone: string, qr: string): Promise<CompanionDevice> {
    const user = this.requireUser(phone);
    const data = qr.includes('#') ? qr.slice(qr.indexOf('#') + 1) : qr;
    const [ref, noiseB64, identityB64, advB64] = data.split(',');
    if (!ref || !noiseB64 || !identityB64 || !advB64) throw new Error('not a WhatsApp pairing QR');
    const reg = this.refs.get(ref);
    if (!reg || !reg.conn.isLive) throw new Error('QR ref unknown or expired');
    if (
      !reg.noiseKey.equals(Buffer.from(noiseB64, 'base64')) ||
      !reg.identityKey.equals(Buffer.from(identityB64, 'base64'))
    ) {
      throw new Error('QR keys do not match the registering connection');
    }
    return this.completePairing(reg, user, Buffer.from(advB64, 'base64'));
  }

  /** The phone's user types the pairing code the companion shows; resolves once paired. */
  async enterPairingCode(phone: string, code: string): Promise<CompanionDevice> {
    const user = this.requireUser(phone);
    // Baileys does not await its companion_hello, so the request may still be in flight.
    const deadline = Date.now() + 5_000;
    let reg = this.pendingPairingCodes.get(user.number);
    while (!reg && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
      reg = this.pendingPairingCodes.get(user.number);
    }
    if (!reg?.pairingCode || !reg.conn.isLive) {
      throw new Error(`no pending pairing-code request for ${user.number}`);
    }
    const hello = reg.pairingCode.hello;
    const primary = await primaryHello(hello, code.replace(/[^0-9A-Za-z]/g, '').toUpperCase());
    const finish = new Promise<BinaryNode>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('companion never sent companion_finish')),
        15_000,
      );
      timer.unref();
      reg.pairingCode!.finish = (node) => {
        clearTimeout(timer);
        resolve(node);
      };
    });
    reg.conn.send({
      tag: 'notification',
      attrs: {
        from: SERVER_JID,
        type: 'link_code_companion_reg',
        id: reg.conn.nextId(),
        t: unixSeconds(),
      },
      content: [
        {
          tag: 'link_code_companion_reg',
          attrs: {},
          content: [
            { tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(hello.ref) },
            { tag: 'primary_identity_pub', attrs: {}, content: user.signal.identity.public },
            {
              tag: 'link_code_pairing_wrapped_primary_ephemeral_pub',
              attrs: {},
              content: primary.wrappedPrimaryEphemeral,
            },
          ],
        },
      ],
    });
    const node = await finish;
    const reg2 = child(node, 'link_code_companion_reg');
    const bundle = childBytes(reg2, 'link_code_pairing_wrapped_key_bundle');
    const identity = childBytes(reg2, 'companion_identity_public');
    if (!bundle || !identity) throw new Error('companion_finish without key bundle or identity');
    const adv = deriveAdvSecret(primary, user.signal.identity, bundle, identity);
    this.pendingPairingCodes.delete(user.number);
    return this.completePairing(reg, user, adv);
  }

  /** Makes the next pairing-code requests fail: iq error, then `stream:error code`. `undefined` clears. */
  rejectPairingCodes(code: number | undefined = 400): void {
    this.pairingCodeRejection = code;
  }

  /** Removes a companion; if it is connected it gets `stream:error 401` (device_removed). */
  unlink(deviceJid: string): boolean {
    const existed = this.companions.delete(deviceJid);
    const conn = this.live.get(deviceJid);
    if (conn?.isLive) {
      conn.sendAndClose({
        tag: 'stream:error',
        attrs: { code: '401' },
        content: [{ tag: 'conflict', attrs: { type: 'device_removed' } }],
      });
    }
    this.live.delete(deviceJid);
    this.persist();
    return existed;
  }

  /**
   * Creates an already-paired companion and returns Baileys creds for it, so tests can log in
   * without QR pairing. `reportPreKeyCount` makes the sim report that many prekeys so the client
   * skips its 812-key upload (inbound messages then use signed-prekey-only sessions).
   */
  createPairedDevice(phone: string, opts: { reportPreKeyCount?: number } = {}): PairedDevice {
    const user = this.requireUser(phone);
    const creds = initAuthCreds();
    const deviceId = user.nextDeviceId++;
    const companionIdentity = {
      private: Buffer.from(creds.signedIdentityKey.private),
      public: Buffer.from(creds.signedIdentityKey.public),
    };
    const adv = signCompanion(user.signal.identity, companionIdentity.public, deviceId);
    const deviceSignature = signAsCompanion(
      companionIdentity,
      adv.deviceDetails,
      user.signal.identity.public,
    );
    const jid = `${user.number}:${deviceId}@s.whatsapp.net`;
    const lid = `${user.lid}:${deviceId}@lid`;
    creds.me = { id: jid, lid, name: user.name };
    creds.account = proto.ADVSignedDeviceIdentity.fromObject({ ...adv.signed, deviceSignature });
    creds.signalIdentities = [createSignalIdentity(lid, user.signal.identity.public)];
    creds.platform = 'android';
    creds.registered = true;
    this.addCompanion({
      jid,
      lid,
      deviceId,
      keyIndex: deviceId,
      noiseKey: Buffer.from(creds.noiseKey.public),
      identityKey: Buffer.from(creds.signedIdentityKey.public),
      registrationId: creds.registrationId,
      signedPreKey: {
        id: creds.signedPreKey.keyId,
        public: Buffer.from(creds.signedPreKey.keyPair.public),
        signature: Buffer.from(creds.signedPreKey.signature),
      },
      preKeys: [],
      platform: 'android',
      pairedAt: Date.now(),
      ...(opts.reportPreKeyCount !== undefined
        ? { reportPreKeyCount: opts.reportPreKeyCount }
        : {}),
    });
    return { deviceJid: jid, creds };
  }

  private addCompanion(c: CompanionDevice): void {
    this.companions.set(c.jid, c);
    this.counters.pairings++;
    this.persist();
  }

  private async completePairing(
    reg: Registration,
    user: SimUser,
    advSecret: Buffer,
  ): Promise<CompanionDevice> {
    if (user.kind !== 'phone') throw new Error(`${user.number} is a contact, not a phone`);
    const deviceId = user.nextDeviceId++;
    const adv = signCompanion(user.signal.identity, reg.identityKey, deviceId);
    const jid = `${user.number}:${deviceId}@s.whatsapp.net`;
    const lid = `${user.lid}:${deviceId}@lid`;
    const reply = await reg.conn.query({
      tag: 'iq',
      attrs: { from: SERVER_JID, type: 'result', id: reg.conn.nextId(), t: unixSeconds() },
      content: [
        {
          tag: 'pair-success',
          attrs: {},
          content: [
            {
              tag: 'device-identity',
              attrs: {},
              content: advHmacEnvelope(adv.signedBytes, advSecret),
            },
            { tag: 'platform', attrs: { name: 'android' } },
            { tag: 'device', attrs: { jid, lid } },
            { tag: 'biz', attrs: { name: user.name } },
          ],
        },
      ],
    });
    const signed = childBytes(child(reply, 'pair-device-sign'), 'device-identity');
    if (!signed || !verifyDeviceSignature(signed, reg.identityKey, user.signal.identity.public)) {
      reg.conn.sendAndClose({ tag: 'stream:error', attrs: { code: '401' } });
      throw new Error('companion device signature did not verify');
    }
    const companion: CompanionDevice = {
      jid,
      lid,
      deviceId,
      keyIndex: deviceId,
      noiseKey: reg.noiseKey,
      identityKey: reg.identityKey,
      registrationId: reg.registrationId,
      signedPreKey: reg.signedPreKey,
      preKeys: [],
      platform: 'android',
      pairedAt: Date.now(),
    };
    this.addCompanion(companion);
    this.log.info({ deviceJid: jid }, 'companion paired');
    // WhatsApp asks the freshly paired client to reconnect and log in.
    reg.conn.sendAndClose({ tag: 'stream:error', attrs: { code: '515' } });
    return companion;
  }

  // ---------------------------------------------------------------- connection host

  /** @internal */
  takeHandshakeStall(): boolean {
    if (this.handshakeStalls <= 0) return false;
    this.handshakeStalls--;
    return true;
  }

  /** @internal */
  onClientPayload(conn: SimConnection, payload: proto.ClientPayload): void {
    this.counters.handshakes++;
    if (
      payload.username !== null &&
      payload.username !== undefined &&
      String(payload.username) !== '0'
    ) {
      this.login(conn, String(payload.username), payload.device ?? 0);
    } else {
      this.register(conn, payload);
    }
  }

  private register(conn: SimConnection, payload: proto.ClientPayload): void {
    const d = payload.devicePairingData;
    if (!d?.eIdent || !d.eRegid || !d.eSkeyId || !d.eSkeyVal || !d.eSkeySig || !conn.clientStatic) {
      conn.sendAndClose({ tag: 'failure', attrs: { reason: '400' } });
      return;
    }
    this.counters.registrations++;
    const count = this.options.qrRefCount ?? 6;
    const reg: Registration = {
      conn,
      refs: Array.from({ length: count }, () => `2@${randomBytes(24).toString('base64')}`),
      noiseKey: conn.clientStatic,
      identityKey: Buffer.from(d.eIdent),
      registrationId: readBigEndian(d.eRegid),
      signedPreKey: {
        id: readBigEndian(d.eSkeyId),
        public: Buffer.from(d.eSkeyVal),
        signature: Buffer.from(d.eSkeySig),
      },
    };
    this.registrations.set(conn, reg);
    for (const ref of reg.refs) this.refs.set(ref, reg);
    conn.send({
      tag: 'iq',
      attrs: { from: SERVER_JID, type: 'set', id: conn.nextId(), xmlns: 'md' },
      content: [
        {
          tag: 'pair-device',
          attrs: {},
          content: reg.refs.map((r) => ({ tag: 'ref', attrs: {}, content: Buffer.from(r) })),
        },
      ],
    });
  }

  private login(conn: SimConnection, username: string, device: number): void {
    const deviceJid = `${username}:${device}@s.whatsapp.net`;
    const companion = this.companions.get(deviceJid);
    const fail = (reason: number): void => {
      this.counters.loginFailures++;
      conn.sendAndClose({ tag: 'failure', attrs: { reason: String(reason) } });
    };
    if (!companion || !conn.clientStatic?.equals(companion.noiseKey)) {
      this.log.info({ deviceJid }, 'login of an unknown companion: failure 401');
      fail(401);
      return;
    }
    const refusal = this.refusals.get(deviceJid);
    if (refusal && (refusal.until === undefined || refusal.until > Date.now())) {
      this.counters.loginFailures++;
      if (refusal.reason !== undefined) fail(refusal.reason);
      else conn.terminate();
      return;
    }
    const failReason = this.failNext.get(deviceJid);
    if (failReason !== undefined) {
      this.failNext.delete(deviceJid);
      fail(failReason);
      return;
    }
    const older = this.live.get(deviceJid);
    if (older && older !== conn && older.isLive) {
      const now = Date.now();
      this.counters.dualConnections++;
      this.dualConnectionEvents.push({
        deviceJid,
        olderConnectionId: older.id,
        newerConnectionId: conn.id,
        overlapMs: now - Math.max(older.openedAt, conn.openedAt),
        at: now,
      });
      this.log.warn(
        { deviceJid, older: older.id, newer: conn.id },
        'dual connection: replacing the older one',
      );
      older.sendAndClose({
        tag: 'stream:error',
        attrs: {},
        content: [{ tag: 'conflict', attrs: { type: 'replaced' } }],
      });
    }
    conn.deviceJid = deviceJid;
    conn.loggedInAt = Date.now();
    conn.latencyMs = this.latencyByDevice.get(deviceJid) ?? this.globalLatencyMs;
    this.live.set(deviceJid, conn);
    this.counters.logins++;
    conn.send({
      tag: 'success',
      attrs: { t: unixSeconds(), lid: companion.lid, props: '1', location: 'sim' },
    });
  }

  /** @internal Called by the iq responder once the client sent `passive active`. */
  markReady(conn: SimConnection): void {
    if (conn.ready || !conn.deviceJid) return;
    conn.ready = true;
    void this.flushQueue(conn);
  }

  private async flushQueue(conn: SimConnection): Promise<void> {
    const jid = conn.deviceJid!;
    const queue = this.queues.get(jid) ?? [];
    this.queues.delete(jid);
    let count = 0;
    for (const item of queue) {
      if (!conn.isLive) {
        // Lost mid-replay: put the rest back for the next login.
        this.enqueue(jid, item);
        continue;
      }
      if (item.kind === 'node') conn.send(item.node);
      else {
        if (item.kind === 'redeliver') this.redeliver(conn, item);
        else await this.deliver(conn, item);
        count++;
        this.counters.offlineDelivered++;
      }
    }
    conn.send({
      tag: 'ib',
      attrs: { from: SERVER_JID },
      content: [{ tag: 'offline', attrs: { count: String(count) } }],
    });
  }

  /** @internal */
  onNode(conn: SimConnection, node: BinaryNode): void {
    switch (node.tag) {
      case 'iq':
        if (node.attrs.type === 'get' || node.attrs.type === 'set') answerIq(this, conn, node);
        return;
      case 'message':
        void this.onClientMessage(conn, node).catch((err: unknown) =>
          this.log.warn({ err, conn: conn.id }, 'failed to handle a client message'),
        );
        return;
      case 'receipt':
        if (conn.deviceJid && node.attrs.id) {
          this.deviceReceipts.push({
            deviceJid: conn.deviceJid,
            id: node.attrs.id,
            type: node.attrs.type ?? 'delivery',
            at: Date.now(),
          });
          // Any receipt, a retry request included, ends the server's duty to deliver that stanza.
          for (const id of [node.attrs.id, ...children(child(node, 'list')).map((i) => i.attrs.id)])
            if (id) this.unreceipted.get(conn)?.delete(id);
          if (node.attrs.type === 'retry')
            void this.onRetryReceipt(conn, node).catch((err: unknown) =>
              this.log.warn({ err, conn: conn.id }, 'failed to answer a retry receipt'),
            );
        }
        return;
      case 'ack':
        // A client nacks a message stanza it could not handle: delivered all the same.
        if (node.attrs.class === 'message' && node.attrs.id)
          this.unreceipted.get(conn)?.delete(node.attrs.id);
        return;
      default:
        // presence, ib (unified_session), acks for our receipts/notifications: nothing to answer.
        return;
    }
  }

  /** @internal */
  onClose(conn: SimConnection): void {
    this.connections.delete(conn.id);
    const reg = this.registrations.get(conn);
    if (reg) {
      this.registrations.delete(conn);
      for (const r of reg.refs) this.refs.delete(r);
      if (reg.pairingCode && this.pendingPairingCodes.get(reg.pairingCode.phone) === reg) {
        this.pendingPairingCodes.delete(reg.pairingCode.phone);
      }
    }
    if (conn.deviceJid && this.live.get(conn.deviceJid) === conn) this.live.delete(conn.deviceJid);
    this.requeueUnreceipted(conn);
  }

  /**
   * Like WhatsApp, the sim keeps an inbound message until the device receipts (or nacks) it: what a
   * closed connection never confirmed goes to the device again, the same ciphertext, ahead of
   * anything queued later. Baileys drops (and acks) a copy it already decrypted once.
   */
  private requeueUnreceipted(conn: SimConnection): void {
    const open = this.unreceipted.get(conn);
    this.unreceipted.delete(conn);
    const jid = conn.deviceJid;
    if (!open?.size || !jid) return;
    const items = [...open.values()].map((d) => ({ kind: 'redeliver' as const, ...d }));
    const next = this.live.get(jid);
    if (next?.isLive && next.ready) {
      for (const item of items) this.redeliver(next, item);
      return;
    }
    this.queues.set(jid, [...items, ...(this.queues.get(jid) ?? [])]);
  }

  private redeliver(conn: SimConnection, item: Extract<Pending, { kind: 'redeliver' }>): void {
    conn.send(item.node);
    this.track(conn, item.node, item.item);
    this.counters.inboundRedelivered++;
  }

  private track(conn: SimConnection, node: BinaryNode, item: InboundItem): void {
    const open = this.unreceipted.get(conn) ?? new Map<string, Delivery>();
    open.set(item.id, { node, item });
    this.unreceipted.set(conn, open);
    const jid = conn.deviceJid!;
    const recent = this.recentInbound.get(jid) ?? new Map<string, InboundItem>();
    recent.delete(item.id);
    recent.set(item.id, item);
    if (recent.size > RECENT_INBOUND_PER_DEVICE) recent.delete(recent.keys().next().value!);
    this.recentInbound.set(jid, recent);
  }

  /**
   * The sender's side of a retry receipt (what the contact's phone does): encrypt the message
   * again, from a new session when the receipt carries a key bundle, and send it with the same id.
   */
  private async onRetryReceipt(conn: SimConnection, node: BinaryNode): Promise<void> {
    this.counters.retryReceipts++;
    const id = node.attrs.id!;
    const item = this.recentInbound.get(conn.deviceJid!)?.get(id);
    const count = Number(child(node, 'retry')?.attrs.count ?? '1');
    if (!item || !(count <= MAX_RETRY_RECEIPTS)) {
      this.log.info({ id, count, known: item !== undefined }, 'retry receipt not answered');
      return;
    }
    const bundle = retryBundle(node);
    if (conn.isLive && conn.ready) await this.deliver(conn, item, bundle);
    else this.enqueue(conn.deviceJid!, item);
    this.counters.retriesResent++;
  }

  /** @internal Handles `link_code_companion_reg` iqs from a registering client. */
  onLinkCode(conn: SimConnection, iq: BinaryNode): BinaryNode | undefined {
    const node = child(iq, 'link_code_companion_reg')!;
    const reg = this.registrations.get(conn);
    if (node.attrs.stage === 'companion_finish') {
      const finish = reg?.pairingCode?.finish;
      if (finish) finish(iq);
      return undefined;
    }
    const phoneNumber = (node.attrs.jid ?? '').split('@')[0] ?? '';
    const phone = this.users.get(phoneNumber);
    const rejection = this.pairingCodeRejection ?? (phone?.kind === 'phone' ? undefined : 404);
    const wrapped = childBytes(node, 'link_code_pairing_wrapped_companion_ephemeral_pub');
    if (rejection !== undefined || !reg || !wrapped) {
      const code = rejection ?? 400;
      this.log.info({ phoneNumber, code }, 'rejecting a pairing-code request');
      conn.send({
        tag: 'iq',
        attrs: { from: SERVER_JID, type: 'error', id: iq.attrs.id ?? '' },
        content: [{ tag: 'error', attrs: { code: String(code), text: 'bad-request' } }],
      });
      // Baileys does not await the companion_hello reply, so the rejection only becomes visible
      // to it as a stream error with the same code.
      conn.sendAndClose({ tag: 'stream:error', attrs: { code: String(code) } });
      return undefined;
    }
    const ref = randomBytes(16).toString('base64url');
    reg.pairingCode = {
      phone: phoneNumber,
      hello: { phoneNumber, wrappedCompanionEphemeral: wrapped, noiseKey: reg.noiseKey, ref },
    };
    this.pendingPairingCodes.set(phoneNumber, reg);
    return {
      tag: 'link_code_companion_reg',
      attrs: {},
      content: [{ tag: 'link_code_pairing_ref', attrs: {}, content: Buffer.from(ref) }],
    };
  }

  /** @internal */
  companionOf(conn: SimConnection): CompanionDevice | undefined {
    return conn.deviceJid ? this.companions.get(conn.deviceJid) : undefined;
  }

  // ---------------------------------------------------------------- outbound (client → contacts)

  private async onClientMessage(conn: SimConnection, node: BinaryNode): Promise<void> {
    const companion = this.companionOf(conn);
    const id = node.attrs.id;
    const to = node.attrs.to;
    if (!companion || !id || !to) return;
    const sender = this.users.get(companion.jid.split(':')[0]!)!;
    const recipient = this.user(to);
    const encs: Array<{ jid: string; enc: BinaryNode }> = [];
    const participants = child(node, 'participants');
    for (const p of Array.isArray(participants?.content) ? participants.content : []) {
      const enc = child(p, 'enc');
      if (p.tag === 'to' && p.attrs.jid && enc) encs.push({ jid: p.attrs.jid, enc });
    }
    const direct = child(node, 'enc');
    if (direct) encs.push({ jid: to, enc: direct });

    let main: { message: proto.Message; encType: 'pkmsg' | 'msg' } | undefined;
    let ownCopy = false;
    await this.serially(`out:${companion.jid}`, async () => {
      for (const { jid, enc } of encs) {
        const target = this.user(jid);
        if (!target || !(enc.content instanceof Uint8Array)) continue;
        const encType = enc.attrs.type === 'pkmsg' ? 'pkmsg' : 'msg';
        try {
          const message = await decryptFromCompanion(
            target.signal,
            companion,
            encType,
            enc.content,
          );
          if (target === sender) ownCopy = true;
          else main ??= { message, encType };
        } catch (err) {
          this.counters.decryptErrors++;
          this.log.warn({ err, id, to: jid }, 'could not decrypt a client message');
          if (target !== sender) this.askAgain(conn, companion, target, node);
        }
      }
    });
    if (recipient && main) {
      const rec = this.record(companion, recipient, id, main.message, main.encType, ownCopy);
      if (rec) rec.media = await this.mediaOf(main.message);
    }
    this.persist();
    this.ack(conn, companion.jid, id, recipient?.jid ?? to, recipient);
  }

  /**
   * What the recipient's phone does with a message it cannot decrypt: a retry receipt to the
   * sending device, with the recipient's key bundle from the second try on. Baileys then builds a
   * new session and sends the message again with the same id.
   */
  private askAgain(
    conn: SimConnection,
    companion: CompanionDevice,
    target: SimUser,
    message: BinaryNode,
  ): void {
    const key = `${companion.jid}|${target.jid}|${message.attrs.id}`;
    const count = (this.retriesAsked.get(key) ?? 0) + 1;
    if (count > MAX_RETRY_RECEIPTS) return;
    this.retriesAsked.set(key, count);
    if (this.retriesAsked.size > RETRY_COUNTS_KEPT)
      this.retriesAsked.delete(this.retriesAsked.keys().next().value!);
    const t = message.attrs.t ?? unixSeconds();
    const content: BinaryNode[] = [
      { tag: 'retry', attrs: { count: String(count), id: message.attrs.id!, t, v: '1' } },
      { tag: 'registration', attrs: {}, content: bigEndian(target.signal.registrationId, 4) },
    ];
    if (count >= 2)
      content.push({ tag: 'keys', attrs: {}, content: bundleNodes(target.signal.bundle()) });
    conn.send({
      tag: 'receipt',
      attrs: { id: message.attrs.id!, from: target.jid, type: 'retry', t: unixSeconds() },
      content,
    });
    this.counters.retryReceiptsSent++;
  }

  private record(
    companion: CompanionDevice,
    recipient: SimUser,
    id: string,
    message: proto.Message,
    encType: 'pkmsg' | 'msg',
    ownCopy: boolean,
  ): RecordedMessage | undefined {
    const key = `${companion.jid.split(':')[0]}|${recipient.jid}|${id}`;
    const existing = this.recordsByKey.get(key);
    if (existing) {
      // WhatsApp dedupes by (sender, chat, id): the recipient sees one message.
      existing.duplicates++;
      this.counters.duplicateMessages++;
      return undefined;
    }
    const rec: RecordedMessage = {
      id,
      from: companion.jid,
      to: recipient.jid,
      timestamp: Date.now(),
      seq: ++this.seq,
      encType,
      message,
      text: message.conversation ?? message.extendedTextMessage?.text ?? undefined,
      ownCopy,
      duplicates: 0,
      media: undefined,
    };
    this.recordsByKey.set(key, rec);
    const list = this.records.get(recipient.jid) ?? [];
    list.push(rec);
    this.records.set(recipient.jid, list);
    const byId = this.recordsById.get(id) ?? [];
    byId.push(rec);
    this.recordsById.set(id, byId);
    this.counters.messagesReceived++;
    return rec;
  }

  private async mediaOf(message: proto.Message): Promise<RecordedMessage['media']> {
    for (const [field, type] of Object.entries(MESSAGE_TYPES)) {
      const m = (
        message as unknown as Record<string, proto.Message.IImageMessage | null | undefined>
      )[field];
      if (!m) continue;
      const sha = m.fileSha256 ? Buffer.from(m.fileSha256).toString('base64') : undefined;
      const bytes = await this.media?.decrypt(m, type).catch(() => undefined);
      return {
        type,
        mimetype: m.mimetype ?? undefined,
        fileLength: Number(m.fileLength ?? 0),
        fileSha256: sha,
        uploaded: bytes !== undefined,
        bytes,
      };
    }
    return undefined;
  }

  private ack(
    conn: SimConnection,
    deviceJid: string,
    id: string,
    chat: string,
    recipient: SimUser | undefined,
  ): void {
    const behavior = this.ackBehavior.get(deviceJid) ?? {};
    if (behavior.drop || this.neverAckIds.has(id)) return;
    const attrs: Record<string, string> = { class: 'message', id, from: chat, t: unixSeconds() };
    if (behavior.errorCode !== undefined) attrs.error = String(behavior.errorCode);
    const send = (): void => {
      conn.send({ tag: 'ack', attrs });
      this.counters.acksSent++;
      if (behavior.errorCode === undefined && recipient && recipient.autoReceipt !== 'none') {
        this.sendReceipt(id, 'delivered', recipient.jid);
        if (recipient.autoReceipt === 'read') this.sendReceipt(id, 'read', recipient.jid);
      }
    };
    if (behavior.delayMs) setTimeout(send, behavior.delayMs).unref();
    else send();
  }

  /** Sends a delivered/read receipt for a recorded message to its sender device (queued if offline). */
  sendReceipt(
    messageId: string,
    type: 'delivered' | 'read' | 'played',
    recipientJid?: string,
  ): boolean {
    const rec = (this.recordsById.get(messageId) ?? []).find(
      (r) => !recipientJid || r.to === this.user(recipientJid)?.jid,
    );
    if (!rec) return false;
    const attrs: Record<string, string> = { id: messageId, from: rec.to, t: unixSeconds() };
    if (type !== 'delivered') attrs.type = type;
    this.sendOrQueue(rec.from, { kind: 'node', node: { tag: 'receipt', attrs } });
    this.counters.receiptsSent++;
    return true;
  }

  /** Messages a recipient got from paired devices, in arrival order. */
  messagesTo(recipient: string): RecordedMessage[] {
    const u = this.user(recipient);
    return u ? [...(this.records.get(u.jid) ?? [])] : [];
  }

  /** Every recorded message, in arrival order. */
  allMessages(): RecordedMessage[] {
    return [...this.records.values()].flat().sort((a, b) => a.seq - b.seq);
  }

  // ---------------------------------------------------------------- inbound (contacts/phone → devices)

  /**
   * A contact sends a message to every paired device of `toPhone`. Offline devices get it on their
   * next login. Reuse `id` to deliver the same id twice on purpose.
   */
  async sendFromContact(
    contact: string,
    toPhone: string,
    content: string | proto.IMessage,
    opts: { id?: string } = {},
  ): Promise<{ id: string; delivered: string[]; queued: string[] }> {
    const from = this.requireUser(contact);
    const phone = this.requireUser(toPhone);
    const message = typeof content === 'string' ? { conversation: content } : content;
    const id = opts.id ?? `3EB0${randomBytes(8).toString('hex').toUpperCase()}`;
    return this.fanOut(phone, {
      kind: 'message',
      from: from.number,
      id,
      t: unixSeconds(),
      message,
    });
  }

  /** The phone itself sends to `to`; its linked devices receive the `fromMe` copy. */
  async sendFromPhone(
    phone: string,
    to: string,
    content: string | proto.IMessage,
    opts: { id?: string } = {},
  ): Promise<{ id: string; delivered: string[]; queued: string[] }> {
    const p = this.requireUser(phone);
    const dest = this.requireUser(to);
    const inner = typeof content === 'string' ? { conversation: content } : content;
    const id = opts.id ?? `3EB0${randomBytes(8).toString('hex').toUpperCase()}`;
    return this.fanOut(p, {
      kind: 'message',
      from: p.number,
      id,
      t: unixSeconds(),
      recipient: dest.jid,
      message: { deviceSentMessage: { destinationJid: dest.jid, message: inner } },
    });
  }

  private async fanOut(
    phone: SimUser,
    item: InboundItem,
  ): Promise<{ id: string; delivered: string[]; queued: string[] }> {
    const delivered: string[] = [];
    const queued: string[] = [];
    for (const c of this.devicesOf(phone.number)) {
      const conn = this.live.get(c.jid);
      if (conn?.isLive && conn.ready) {
        await this.deliver(conn, item);
        delivered.push(c.jid);
      } else {
        this.enqueue(c.jid, item);
        queued.push(c.jid);
      }
    }
    return { id: item.id, delivered, queued };
  }

  private async deliver(
    conn: SimConnection,
    item: InboundItem,
    bundle?: RetryBundle,
  ): Promise<void> {
    const companion = this.companionOf(conn);
    const sender = this.users.get(item.from);
    if (!companion || !sender) return;
    await this.serially(`in:${companion.jid}:${sender.number}`, async () => {
      const { type, body } = await encryptToCompanion(
        sender.signal,
        companion,
        item.message,
        bundle,
      );
      const attrs: Record<string, string> = {
        from: sender.jid,
        id: item.id,
        t: item.t,
        type: 'text',
        notify: sender.name,
        // Lets Baileys store the PN↔LID mapping without a background usync lookup.
        sender_lid: sender.lidJid,
      };
      if (item.recipient) attrs.recipient = item.recipient;
      const node: BinaryNode = {
        tag: 'message',
        attrs,
        content: [{ tag: 'enc', attrs: { v: '2', type }, content: body }],
      };
      conn.send(node);
      if (conn.isLive) this.track(conn, node, item);
      else this.enqueue(conn.deviceJid!, { kind: 'redeliver', node, item });
      this.counters.inboundDelivered++;
    });
    this.persist();
  }

  private sendOrQueue(deviceJid: string, item: Pending): void {
    const conn = this.live.get(deviceJid);
    if (conn?.isLive && conn.ready && item.kind === 'node') conn.send(item.node);
    else this.enqueue(deviceJid, item);
  }

  private enqueue(deviceJid: string, item: Pending): void {
    const q = this.queues.get(deviceJid) ?? [];
    q.push(item);
    this.queues.set(deviceJid, q);
  }

  /** How many items wait for a device's next login. */
  queuedFor(deviceJid: string): number {
    return this.queues.get(deviceJid)?.length ?? 0;
  }

  private async serially<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.serial.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.serial.set(key, tail);
    try {
      return await next;
    } finally {
      if (this.serial.get(key) === tail) this.serial.delete(key);
    }
  }

  // ---------------------------------------------------------------- faults

  /**
   * A user's phone forgets its Signal sessions (reinstalled): messages devices encrypt on their old
   * sessions fail to decrypt, and the sim answers each with a retry receipt, as that phone would.
   */
  forgetSessions(number: string): void {
    this.requireUser(number).signal.forgetSessions();
    this.persist();
  }

  /** Applies a disconnect fault to a device's live connection; false if it is not connected. */
  disconnect(deviceJid: string, fault: DisconnectFault): boolean {
    const conn = this.live.get(deviceJid);
    if (!conn?.isLive) return false;
    this.log.info({ deviceJid, fault }, 'fault: disconnect');
    switch (fault.kind) {
      case 'stream-error':
        conn.sendAndClose({ tag: 'stream:error', attrs: { code: String(fault.code) } });
        break;
      case 'conflict':
        conn.sendAndClose({
          tag: 'stream:error',
          attrs: {},
          content: [{ tag: 'conflict', attrs: { type: fault.type ?? 'replaced' } }],
        });
        break;
      case 'unknown-child':
        conn.sendAndClose({ tag: 'stream:error', attrs: {}, content: [{ tag: 'ack', attrs: {} }] });
        break;
      case 'failure':
        conn.sendAndClose({
          tag: 'failure',
          attrs: fault.reason === undefined ? {} : { reason: String(fault.reason) },
        });
        break;
      case 'downgrade-webclient':
        // Baileys closes the socket itself with 411.
        conn.send({
          tag: 'ib',
          attrs: { from: SERVER_JID },
          content: [{ tag: 'downgrade_webclient', attrs: {} }],
        });
        break;
      case 'xmlstreamend':
        conn.sendAndClose({ tag: 'xmlstreamend', attrs: {} });
        break;
      case 'close':
        conn.close();
        break;
      case 'terminate':
        conn.terminate();
        break;
      case 'silence':
        conn.silenced = true;
        break;
      case 'deaf':
        conn.deaf = true;
        break;
    }
    return true;
  }

  /** The next login of `deviceJid` gets `<failure reason=…/>` instead of `success`. */
  failNextLogin(deviceJid: string, reason: number): void {
    this.failNext.set(deviceJid, reason);
  }

  /** Refuses logins of a device for `forMs` (or until {@link allowLogins}); `reason` sends a failure, else the socket is terminated. */
  refuseLogins(deviceJid: string, opts: { forMs?: number; reason?: number } = {}): void {
    this.refusals.set(deviceJid, {
      until: opts.forMs === undefined ? undefined : Date.now() + opts.forMs,
      reason: opts.reason,
    });
  }

  /** Ends a {@link refuseLogins}. */
  allowLogins(deviceJid: string): void {
    this.refusals.delete(deviceJid);
  }

  /** The next `count` handshakes get no ServerHello (Baileys times out with 408). */
  stallHandshakes(count = 1): void {
    this.handshakeStalls = count;
  }

  /** The next `count` websocket upgrades get an HTTP error status. */
  rejectUpgrades(count = 1, status = 503): void {
    this.upgradeRejections = { count, status };
  }

  /** Delays every frame the sim sends: to one device (applies from its next login) or to all new connections. */
  setLatency(ms: number, deviceJid?: string): void {
    if (deviceJid) {
      this.latencyByDevice.set(deviceJid, ms);
      const conn = this.live.get(deviceJid);
      if (conn) conn.latencyMs = ms;
    } else {
      this.globalLatencyMs = ms;
    }
  }

  /** How message acks to a device behave (error code, delay, drop). Empty object restores normal acks. */
  setAckBehavior(deviceJid: string, behavior: AckBehavior): void {
    this.ackBehavior.set(deviceJid, behavior);
  }

  /** Never ack message id `id` (from any device). */
  neverAck(id: string): void {
    this.neverAckIds.add(id);
  }

  // ---------------------------------------------------------------- state

  private persist(): void {
    if (!this.options.stateFile || this.saveTimer) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.saveNow();
    }, 50);
    this.saveTimer.unref();
  }

  private saveNow(): void {
    if (!this.options.stateFile) return;
    saveSimState(this.options.stateFile, {
      version: 1,
      root: this.certs.root,
      users: [...this.users.values()].map((u) => u.toState()),
      companions: [...this.companions.values()],
    });
  }

  private restore(state: SimState): void {
    for (const u of state.users) {
      const user = new SimUser(u);
      this.users.set(user.number, user);
      this.lidToNumber.set(user.lid, user.number);
    }
    for (const c of state.companions) this.companions.set(c.jid, c);
  }
}
