import {
  decodeBinaryNode,
  encodeBinaryNode,
  type BinaryNode,
  type proto,
} from '@whiskeysockets/baileys';
import { WebSocket } from 'ws';
import { FrameReader, encodeFrame } from '../noise/frame-reader.js';
import { NoiseServerHandshake, type NoiseTransport } from '../noise/noise-server.js';
import type { SimCertificates } from '../noise/cert-chain.js';
import type { SimLogger } from './sim-logger.js';

/** What a connection asks of the sim once the handshake is done. */
export interface ConnectionHost {
  /** Called once with the decrypted ClientPayload. */
  onClientPayload(conn: SimConnection, payload: proto.ClientPayload): void;
  /** Called for every decoded node after the handshake that no pending query claimed. */
  onNode(conn: SimConnection, node: BinaryNode): void;
  /** Called once when the socket is gone. */
  onClose(conn: SimConnection): void;
  /** Whether this handshake should get no ServerHello (a fault). */
  takeHandshakeStall(): boolean;
}

type Phase = 'hello' | 'finish' | 'transport';

/** One client websocket: Noise handshake, frame codec, node I/O and server-initiated iqs. */
export class SimConnection {
  readonly openedAt = Date.now();
  /** Device jid once logged in (`number:device@s.whatsapp.net`). */
  deviceJid: string | undefined;
  loggedInAt: number | undefined;
  closedAt: number | undefined;
  clientStatic: Buffer | undefined;
  /** Outgoing frames are delayed by this many ms (fault: latency). */
  latencyMs = 0;
  /** When set, nothing is sent and incoming frames are ignored (fault: silence → 408). */
  silenced = false;
  /** When set, frames from the client are dropped while the sim keeps sending (fault: deaf → 408). */
  deaf = false;
  /** Set once the client finished its post-login iqs; queued inbound traffic flows after that. */
  ready = false;
  private phase: Phase = 'hello';
  private readonly reader = new FrameReader();
  private readonly handshake: NoiseServerHandshake;
  private transport: NoiseTransport | undefined;
  private readonly pending = new Map<string, (node: BinaryNode) => void>();
  private inbound: Promise<void> = Promise.resolve();
  private idCounter = 0;

  constructor(
    readonly id: string,
    private readonly ws: WebSocket,
    certs: SimCertificates,
    private readonly host: ConnectionHost,
    private readonly log: SimLogger,
  ) {
    this.handshake = new NoiseServerHandshake(certs.serverStatic, certs.chain);
    ws.on('message', (data: Buffer) => {
      // Frames are processed strictly in order; decoding nodes is async.
      this.inbound = this.inbound
        .then(() => this.onData(data))
        .catch((err: unknown) => {
          this.log.warn({ err, conn: this.id }, 'closing connection after a bad frame');
          this.terminate();
        });
    });
    ws.on('close', () => {
      this.closedAt ??= Date.now();
      this.host.onClose(this);
    });
    ws.on('error', (err) => this.log.debug({ err, conn: this.id }, 'socket error'));
  }

  /** Whether the socket is open (not closing) and logged in as `deviceJid`. */
  get isLive(): boolean {
    return this.ws.readyState === WebSocket.OPEN && this.closedAt === undefined;
  }

  /** Encodes, encrypts and writes one node, honouring latency and silence. */
  send(node: BinaryNode): void {
    if (!this.transport || this.silenced || !this.isLive) return;
    const frame = encodeFrame(this.transport.encrypt(encodeBinaryNode(node)));
    if (this.latencyMs > 0) {
      setTimeout(() => this.writeRaw(frame), this.latencyMs).unref();
    } else {
      this.writeRaw(frame);
    }
  }

  /** Sends an iq and resolves with the client's reply (or rejects after `timeoutMs`). */
  query(node: BinaryNode, timeoutMs = 10_000): Promise<BinaryNode> {
    const id = node.attrs.id ?? this.nextId();
    node.attrs.id = id;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`client did not answer iq ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.pending.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.send(node);
    });
  }

  /** A fresh stanza id unique to this connection. */
  nextId(): string {
    return `sim-${this.id}-${++this.idCounter}`;
  }

  /** Sends `node` (typically a stream:error or failure) and then closes the socket. */
  sendAndClose(node: BinaryNode): void {
    this.send(node);
    this.close();
  }

  /** Closes the socket with a websocket close frame. */
  close(): void {
    this.closedAt ??= Date.now();
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) {
      // After the latency delay so a just-sent frame still goes out first.
      if (this.latencyMs > 0) setTimeout(() => this.ws.close(), this.latencyMs + 5).unref();
      else this.ws.close();
    }
  }

  /** Destroys the TCP socket without a close frame. */
  terminate(): void {
    this.closedAt ??= Date.now();
    this.ws.terminate();
  }

  private writeRaw(frame: Buffer): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame);
  }

  private async onData(data: Buffer): Promise<void> {
    if (this.silenced || this.deaf) return;
    for (const frame of this.reader.push(data)) {
      await this.onFrame(frame);
    }
  }

  private async onFrame(frame: Buffer): Promise<void> {
    switch (this.phase) {
      case 'hello': {
        if (this.host.takeHandshakeStall()) {
          this.log.info({ conn: this.id }, 'fault: withholding ServerHello');
          this.silenced = true;
          return;
        }
        const hello = this.handshake.serverHello(frame);
        this.phase = 'finish';
        this.writeRaw(encodeFrame(hello));
        return;
      }
      case 'finish': {
        const result = this.handshake.clientFinish(frame);
        this.transport = result.transport;
        this.clientStatic = result.clientStatic;
        this.phase = 'transport';
        this.host.onClientPayload(this, result.payload);
        return;
      }
      case 'transport': {
        const node = await decodeBinaryNode(this.transport!.decrypt(frame));
        const id = node.attrs.id;
        const waiter = node.tag === 'iq' && id ? this.pending.get(id) : undefined;
        if (waiter && (node.attrs.type === 'result' || node.attrs.type === 'error')) {
          this.pending.delete(id!);
          waiter(node);
          return;
        }
        this.host.onNode(this, node);
      }
    }
  }
}
