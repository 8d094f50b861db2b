import type { proto } from '@whiskeysockets/baileys';

/** A message a paired device sent, decrypted by the sim and recorded per recipient. */
export interface RecordedMessage {
  id: string;
  /** Sender device jid (`number:device@s.whatsapp.net`). */
  from: string;
  /** Recipient account jid (`number@s.whatsapp.net`). */
  to: string;
  /** Arrival time, ms since epoch. */
  timestamp: number;
  /** Global arrival order across the sim, starting at 1. */
  seq: number;
  encType: 'pkmsg' | 'msg';
  /** Decoded content. */
  message: proto.IMessage;
  /** The text of a text message, if any. */
  text: string | undefined;
  /** Whether the own-phone copy (DeviceSentMessage) in the same stanza decrypted too. */
  ownCopy: boolean;
  /** How many more times a stanza with this id arrived after the first. */
  duplicates: number;
  media: RecordedMedia | undefined;
}

/** Media metadata from a sent image/document/video/audio message. */
export interface RecordedMedia {
  type: string;
  mimetype: string | undefined;
  fileLength: number;
  fileSha256: string | undefined;
  /** Whether the encrypted upload reached the sim's media host. */
  uploaded: boolean;
  /** Decrypted bytes, when the upload was found and decrypted. */
  bytes: Buffer | undefined;
}

/** A second login of a device while its first connection was still open. */
export interface DualConnectionEvent {
  deviceJid: string;
  olderConnectionId: string;
  newerConnectionId: string;
  /** How long both sockets were open at once, ms (newer socket open → older one closed). */
  overlapMs: number;
  at: number;
}

/** A receipt a paired device sent for a message it received. */
export interface DeviceReceipt {
  deviceJid: string;
  id: string;
  type: string;
  at: number;
}

/** Monotonic counters; tests read them for exact assertions. */
export interface SimCounters {
  connections: number;
  handshakes: number;
  registrations: number;
  pairings: number;
  logins: number;
  loginFailures: number;
  messagesReceived: number;
  duplicateMessages: number;
  decryptErrors: number;
  acksSent: number;
  receiptsSent: number;
  inboundDelivered: number;
  offlineDelivered: number;
  /** Inbound stanzas sent again because the connection closed before the device receipted them. */
  inboundRedelivered: number;
  /** Retry receipts devices sent for inbound messages they could not decrypt. */
  retryReceipts: number;
  /** Inbound messages encrypted and sent again in answer to a retry receipt. */
  retriesResent: number;
  /** Retry receipts the sim sent for client messages it could not decrypt (as a recipient's phone). */
  retryReceiptsSent: number;
  unknownIqs: number;
  dualConnections: number;
}

/** Immediate faults applied to a device's live connection. Each maps to a Baileys status code. */
export type DisconnectFault =
  /** `<stream:error code=…/>` → that code (401, 403, 503, 515…). */
  | { kind: 'stream-error'; code: number }
  /** `<stream:error><conflict type=…/></stream:error>` → 440 (type ignored by Baileys). */
  | { kind: 'conflict'; type?: string }
  /** `<stream:error><ack/></stream:error>` (unknown child, no code) → 500. */
  | { kind: 'unknown-child' }
  /** `<failure reason=…/>` → reason (default 500). */
  | { kind: 'failure'; reason?: number }
  /** `<ib><downgrade_webclient/></ib>` → 411. */
  | { kind: 'downgrade-webclient' }
  /** `<xmlstreamend/>` → 428. */
  | { kind: 'xmlstreamend' }
  /** websocket close frame → 428. */
  | { kind: 'close' }
  /** TCP destroy → 428. */
  | { kind: 'terminate' }
  /** stop sending anything → 408 once the client's keep-alive check trips. */
  | { kind: 'silence' }
  /** keep sending but drop everything the client sends (a lost uplink) → 408 once the sim has nothing to send. */
  | { kind: 'deaf' };

/** How the sim acks messages from one device. */
export interface AckBehavior {
  /** Ack with `error=…` (Baileys → messages.update status ERROR). */
  errorCode?: number;
  delayMs?: number;
  /** Never ack. */
  drop?: boolean;
}

/** How the sim refuses logins of a device. */
export interface LoginRefusal {
  /** Until when (ms since epoch); undefined = until `allowLogins`. */
  until: number | undefined;
  /** Send `<failure reason=…/>`; undefined = terminate the socket (428 at the client). */
  reason: number | undefined;
}
