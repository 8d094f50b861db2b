import { BufferJSON, type AuthenticationCreds } from '@whiskeysockets/baileys';
import type { AutoReceipt } from '../model/sim-user.js';
import type {
  AckBehavior,
  DeviceReceipt,
  DisconnectFault,
  DualConnectionEvent,
  SimCounters,
} from '../server/sim-types.js';
import type { SimInfo, WireDevice, WireMessage, WireSendResult, WireUser } from './wire-types.js';

/** Typed client for a sim's HTTP control API (e.g. a `wa-sim` CLI in another process). */
export class WaSimControlClient {
  constructor(private readonly baseUrl: string) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    const data = (text ? JSON.parse(text) : null) as unknown;
    if (!res.ok) {
      const msg = (data as { error?: string } | null)?.error ?? text;
      throw new Error(`wa-sim control ${method} ${path} failed (${res.status}): ${msg}`);
    }
    return data as T;
  }

  /** Where the sim listens and what to trust. */
  info(): Promise<SimInfo> {
    return this.call('GET', '/info');
  }

  /** Monotonic counters. */
  counters(): Promise<SimCounters> {
    return this.call('GET', '/counters');
  }

  /** Dual-connection events, oldest first. */
  dualConnections(): Promise<DualConnectionEvent[]> {
    return this.call('GET', '/dual-connections');
  }

  /** Receipts paired devices sent for inbound messages. */
  deviceReceipts(): Promise<DeviceReceipt[]> {
    return this.call('GET', '/device-receipts');
  }

  /** Creates a simulated phone. */
  createPhone(opts: { number?: string; name?: string } = {}): Promise<WireUser> {
    return this.call('POST', '/phones', opts);
  }

  /** Creates a simulated contact. */
  createContact(
    opts: { number?: string; name?: string; autoReceipt?: AutoReceipt } = {},
  ): Promise<WireUser> {
    return this.call('POST', '/contacts', opts);
  }

  /** Sets a contact's automatic receipts. */
  setAutoReceipt(contact: string, mode: AutoReceipt): Promise<void> {
    return this.call('POST', `/contacts/${encodeURIComponent(contact)}/auto-receipt`, { mode });
  }

  /** The phone scans a Baileys QR string. */
  scan(phone: string, qr: string): Promise<WireDevice> {
    return this.call('POST', `/phones/${encodeURIComponent(phone)}/scan`, { qr });
  }

  /** The phone's user enters a pairing code. */
  enterPairingCode(phone: string, code: string): Promise<WireDevice> {
    return this.call('POST', `/phones/${encodeURIComponent(phone)}/pairing-code`, { code });
  }

  /** Companions of a phone. */
  devices(phone: string): Promise<WireDevice[]> {
    return this.call('GET', `/phones/${encodeURIComponent(phone)}/devices`);
  }

  /** Online state and queued inbound items of a device. */
  device(deviceJid: string): Promise<{ online: boolean; queued: number }> {
    return this.call('GET', `/devices/${encodeURIComponent(deviceJid)}`);
  }

  /** Creates an already-paired device and returns Baileys creds for it (Buffers restored). */
  async createPairedDevice(
    phone: string,
    opts: { reportPreKeyCount?: number } = {},
  ): Promise<{ deviceJid: string; creds: AuthenticationCreds }> {
    const r = await this.call<{ deviceJid: string; creds: unknown }>('POST', '/devices', {
      phone,
      ...opts,
    });
    const creds = JSON.parse(JSON.stringify(r.creds), BufferJSON.reviver) as AuthenticationCreds;
    return { deviceJid: r.deviceJid, creds };
  }

  /** Unlinks a device (the client sees 401). */
  unlink(deviceJid: string): Promise<{ removed: boolean }> {
    return this.call('DELETE', `/devices/${encodeURIComponent(deviceJid)}`);
  }

  /** A contact sends text to a phone's devices. */
  sendFromContact(
    contact: string,
    toPhone: string,
    text: string,
    id?: string,
  ): Promise<WireSendResult> {
    return this.call('POST', `/contacts/${encodeURIComponent(contact)}/send`, {
      to: toPhone,
      text,
      ...(id ? { id } : {}),
    });
  }

  /** The phone sends text to a contact; its devices get the fromMe copy. */
  sendFromPhone(phone: string, to: string, text: string, id?: string): Promise<WireSendResult> {
    return this.call('POST', `/phones/${encodeURIComponent(phone)}/send`, {
      to,
      text,
      ...(id ? { id } : {}),
    });
  }

  /** Recorded messages, optionally only those to one recipient. */
  messages(to?: string): Promise<WireMessage[]> {
    return this.call('GET', `/messages${to ? `?to=${encodeURIComponent(to)}` : ''}`);
  }

  /** Sends a receipt for a recorded message. */
  sendReceipt(
    id: string,
    type: 'delivered' | 'read' | 'played' = 'delivered',
    recipient?: string,
  ): Promise<void> {
    return this.call('POST', '/receipts', { id, type, ...(recipient ? { recipient } : {}) });
  }

  /** Applies a disconnect fault to a device's live connection. */
  disconnect(deviceJid: string, fault: DisconnectFault): Promise<{ applied: boolean }> {
    return this.call('POST', '/faults/disconnect', { deviceJid, fault });
  }

  /** Next login of the device gets `failure reason`. */
  failNextLogin(deviceJid: string, reason: number): Promise<void> {
    return this.call('POST', '/faults/fail-next-login', { deviceJid, reason });
  }

  /** Refuses logins of a device for `forMs` or until {@link allowLogins}. */
  refuseLogins(deviceJid: string, opts: { forMs?: number; reason?: number } = {}): Promise<void> {
    return this.call('POST', '/faults/refuse-logins', { deviceJid, ...opts });
  }

  /** Ends a login refusal. */
  allowLogins(deviceJid: string): Promise<void> {
    return this.call('POST', '/faults/allow-logins', { deviceJid });
  }

  /** The next `count` handshakes get no ServerHello. */
  stallHandshakes(count = 1): Promise<void> {
    return this.call('POST', '/faults/stall-handshakes', { count });
  }

  /** The next `count` upgrades get HTTP `status`. */
  rejectUpgrades(count = 1, status = 503): Promise<void> {
    return this.call('POST', '/faults/reject-upgrades', { count, status });
  }

  /** Adds latency to frames the sim sends (one device or all new connections). */
  setLatency(ms: number, deviceJid?: string): Promise<void> {
    return this.call('POST', '/faults/latency', { ms, ...(deviceJid ? { deviceJid } : {}) });
  }

  /** Ack behaviour for one device's messages. */
  setAckBehavior(deviceJid: string, behavior: AckBehavior): Promise<void> {
    return this.call('POST', '/faults/ack', { deviceJid, ...behavior });
  }

  /** Never ack message id `id`. */
  neverAck(id: string): Promise<void> {
    return this.call('POST', '/faults/never-ack', { id });
  }

  /** Rejects pairing-code requests with `code` (null clears). */
  rejectPairingCodes(code: number | null = 400): Promise<void> {
    return this.call('POST', '/faults/reject-pairing-codes', { code });
  }
}
