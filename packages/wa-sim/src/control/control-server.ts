import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BufferJSON, proto } from '@whiskeysockets/baileys';
import type { CompanionDevice } from '../model/companion-device.js';
import type { AutoReceipt, SimUser } from '../model/sim-user.js';
import type { DisconnectFault, RecordedMessage } from '../server/sim-types.js';
import type { WaSim } from '../server/wa-sim.js';
import type { SimInfo, WireDevice, WireMessage, WireUser } from './wire-types.js';

/** A client error: bad input or an unknown thing; answered with 4xx. */
class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

type Body = Record<string, unknown>;
type Handler = (params: string[], body: Body, query: URLSearchParams) => unknown;

function str(body: Body, key: string, required = true): string | undefined {
  const v = body[key];
  if (typeof v === 'string' && v.length > 0) return v;
  if (v === undefined && !required) return undefined;
  throw new ControlError(400, `"${key}" must be a non-empty string`);
}

function num(body: Body, key: string, required = false): number | undefined {
  const v = body[key];
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === undefined && !required) return undefined;
  throw new ControlError(400, `"${key}" must be a number`);
}

/** JSON form of a user. */
export function wireUser(u: SimUser): WireUser {
  return {
    kind: u.kind,
    number: u.number,
    lid: u.lid,
    jid: u.jid,
    lidJid: u.lidJid,
    name: u.name,
    autoReceipt: u.autoReceipt,
  };
}

function wireMessage(m: RecordedMessage): WireMessage {
  return {
    id: m.id,
    from: m.from,
    to: m.to,
    timestamp: m.timestamp,
    seq: m.seq,
    encType: m.encType,
    text: m.text ?? null,
    ownCopy: m.ownCopy,
    duplicates: m.duplicates,
    message: proto.Message.toObject(proto.Message.fromObject(m.message), {
      longs: Number,
      bytes: String,
    }),
    media: m.media
      ? {
          type: m.media.type,
          mimetype: m.media.mimetype ?? null,
          fileLength: m.media.fileLength,
          fileSha256: m.media.fileSha256 ?? null,
          uploaded: m.media.uploaded,
          bytes: m.media.bytes?.toString('base64') ?? null,
        }
      : null,
  };
}

/**
 * The HTTP control API (JSON over loopback) so tests and the demo can drive a sim in another
 * process. Routes are listed in the package README; {@link WaSimControlClient} wraps them.
 */
export class ControlServer {
  private readonly server: Server;
  private readonly routes: Array<{ method: string; pattern: RegExp; handler: Handler }> = [];

  constructor(private readonly sim: WaSim) {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.defineRoutes();
  }

  /** Listens on `port` (0 = random) on loopback. */
  async listen(port = 0, host = '127.0.0.1'): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
  }

  /** `http://host:port`. */
  get url(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `http://${address}:${port}`;
  }

  /** What the CLI prints and `GET /info` returns. */
  info(): SimInfo {
    const info: SimInfo = {
      ws_url: this.sim.wsUrl,
      control_url: this.url,
      root_public_key: this.sim.rootPublicKey.toString('base64'),
    };
    if (this.sim.media) info.media_ca_pem = this.sim.media.caPem;
    return info;
  }

  /** Stops listening. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private route(method: string, path: string, handler: Handler): void {
    const pattern = new RegExp(`^${path.replace(/:[a-z]+/g, '([^/]+)')}$`);
    this.routes.push({ method, pattern, handler });
  }

  private device(c: CompanionDevice): WireDevice {
    return {
      jid: c.jid,
      lid: c.lid,
      deviceId: c.deviceId,
      pairedAt: c.pairedAt,
      online: this.sim.isOnline(c.jid),
    };
  }

  private defineRoutes(): void {
    const sim = this.sim;
    this.route('GET', '/info', () => this.info());
    this.route('GET', '/counters', () => sim.counters);
    this.route('GET', '/dual-connections', () => sim.dualConnectionEvents);
    this.route('GET', '/device-receipts', () => sim.deviceReceipts);
    this.route('GET', '/unknown-iqs', () => sim.unknownIqs);
    this.route('POST', '/phones', (_p, b) =>
      wireUser(
        sim.createPhone({
          ...(b.number ? { number: str(b, 'number') } : {}),
          ...(b.name ? { name: str(b, 'name') } : {}),
        }),
      ),
    );
    this.route('POST', '/contacts', (_p, b) =>
      wireUser(
        sim.createContact({
          ...(b.number ? { number: str(b, 'number') } : {}),
          ...(b.name ? { name: str(b, 'name') } : {}),
          ...(b.autoReceipt ? { autoReceipt: str(b, 'autoReceipt') as AutoReceipt } : {}),
        }),
      ),
    );
    this.route('GET', '/users/:n', ([n]) => {
      const u = sim.user(n!);
      if (!u) throw new ControlError(404, `unknown user ${n}`);
      return wireUser(u);
    });
    this.route('POST', '/contacts/:n/auto-receipt', ([n], b) => {
      sim.setAutoReceipt(n!, str(b, 'mode') as AutoReceipt);
      return { ok: true };
    });
    this.route('POST', '/phones/:n/scan', async ([n], b) =>
      this.device(await sim.scan(n!, str(b, 'qr')!)),
    );
    this.route('POST', '/phones/:n/pairing-code', async ([n], b) =>
      this.device(await sim.enterPairingCode(n!, str(b, 'code')!)),
    );
    this.route('GET', '/phones/:n/devices', ([n]) => sim.devicesOf(n!).map((c) => this.device(c)));
    this.route('POST', '/phones/:n/send', ([n], b) =>
      sim.sendFromPhone(n!, str(b, 'to')!, str(b, 'text')!, b.id ? { id: str(b, 'id')! } : {}),
    );
    this.route('POST', '/contacts/:n/send', ([n], b) =>
      sim.sendFromContact(n!, str(b, 'to')!, str(b, 'text')!, b.id ? { id: str(b, 'id')! } : {}),
    );
    this.route('POST', '/devices', (_p, b) => {
      const count = num(b, 'reportPreKeyCount');
      const paired = sim.createPairedDevice(
        str(b, 'phone')!,
        count === undefined ? {} : { reportPreKeyCount: count },
      );
      // Creds hold Buffers; BufferJSON keeps them intact across the wire.
      return {
        deviceJid: paired.deviceJid,
        creds: JSON.parse(JSON.stringify(paired.creds, BufferJSON.replacer)) as unknown,
      };
    });
    this.route('DELETE', '/devices/:jid', ([jid]) => ({ removed: sim.unlink(jid!) }));
    this.route('GET', '/devices/:jid', ([jid]) => ({
      online: sim.isOnline(jid!),
      queued: sim.queuedFor(jid!),
    }));
    this.route('GET', '/messages', (_p, _b, q) => {
      const to = q.get('to');
      return (to ? sim.messagesTo(to) : sim.allMessages()).map(wireMessage);
    });
    this.route('POST', '/receipts', (_p, b) => {
      const type = (str(b, 'type', false) ?? 'delivered') as 'delivered' | 'read' | 'played';
      const ok = sim.sendReceipt(str(b, 'id')!, type, str(b, 'recipient', false));
      if (!ok) throw new ControlError(404, `no recorded message with id ${String(b.id)}`);
      return { ok };
    });
    this.route('POST', '/faults/disconnect', (_p, b) => ({
      applied: sim.disconnect(str(b, 'deviceJid')!, b.fault as DisconnectFault),
    }));
    this.route('POST', '/faults/fail-next-login', (_p, b) => {
      sim.failNextLogin(str(b, 'deviceJid')!, num(b, 'reason', true)!);
      return { ok: true };
    });
    this.route('POST', '/faults/refuse-logins', (_p, b) => {
      const forMs = num(b, 'forMs');
      const reason = num(b, 'reason');
      sim.refuseLogins(str(b, 'deviceJid')!, {
        ...(forMs !== undefined ? { forMs } : {}),
        ...(reason !== undefined ? { reason } : {}),
      });
      return { ok: true };
    });
    this.route('POST', '/faults/allow-logins', (_p, b) => {
      sim.allowLogins(str(b, 'deviceJid')!);
      return { ok: true };
    });
    this.route('POST', '/faults/stall-handshakes', (_p, b) => {
      sim.stallHandshakes(num(b, 'count') ?? 1);
      return { ok: true };
    });
    this.route('POST', '/faults/reject-upgrades', (_p, b) => {
      sim.rejectUpgrades(num(b, 'count') ?? 1, num(b, 'status') ?? 503);
      return { ok: true };
    });
    this.route('POST', '/faults/latency', (_p, b) => {
      sim.setLatency(num(b, 'ms', true)!, str(b, 'deviceJid', false));
      return { ok: true };
    });
    this.route('POST', '/faults/ack', (_p, b) => {
      const errorCode = num(b, 'errorCode');
      const delayMs = num(b, 'delayMs');
      sim.setAckBehavior(str(b, 'deviceJid')!, {
        ...(errorCode !== undefined ? { errorCode } : {}),
        ...(delayMs !== undefined ? { delayMs } : {}),
        ...(b.drop === true ? { drop: true } : {}),
      });
      return { ok: true };
    });
    this.route('POST', '/faults/never-ack', (_p, b) => {
      sim.neverAck(str(b, 'id')!);
      return { ok: true };
    });
    this.route('POST', '/faults/reject-pairing-codes', (_p, b) => {
      sim.rejectPairingCodes(b.code === null ? undefined : (num(b, 'code') ?? 400));
      return { ok: true };
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const send = (status: number, payload: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
    };
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = (raw ? JSON.parse(raw) : {}) as Body;
      for (const r of this.routes) {
        if (r.method !== req.method) continue;
        const m = r.pattern.exec(url.pathname);
        if (!m) continue;
        const params = m.slice(1).map((p) => decodeURIComponent(p));
        send(200, (await r.handler(params, body, url.searchParams)) ?? null);
        return;
      }
      send(404, { error: `no route ${req.method ?? ''} ${url.pathname}` });
    } catch (err) {
      // Sim API errors are about the request (unknown user, no pending pairing…), hence 400.
      const status = err instanceof ControlError ? err.status : 400;
      send(status, { error: err instanceof Error ? err.message : String(err) });
    }
  }
}
