import type { AutoReceipt } from '../model/sim-user.js';

/** `GET /info`: where the sim listens and what clients must trust. */
export interface SimInfo {
  ws_url: string;
  control_url: string;
  /** base64 of the 32-byte Noise root public key. */
  root_public_key: string;
  /** PEM of the media host certificate, when the media host runs. */
  media_ca_pem?: string;
}

/** A phone or contact as the control API returns it. */
export interface WireUser {
  kind: 'phone' | 'contact';
  number: string;
  lid: string;
  jid: string;
  lidJid: string;
  name: string;
  autoReceipt: AutoReceipt;
}

/** A paired companion as the control API returns it. */
export interface WireDevice {
  jid: string;
  lid: string;
  deviceId: number;
  pairedAt: number;
  online: boolean;
}

/** A recorded message as the control API returns it (`message` is proto JSON). */
export interface WireMessage {
  id: string;
  from: string;
  to: string;
  timestamp: number;
  seq: number;
  encType: 'pkmsg' | 'msg';
  text: string | null;
  ownCopy: boolean;
  duplicates: number;
  message: Record<string, unknown>;
  media: {
    type: string;
    mimetype: string | null;
    fileLength: number;
    fileSha256: string | null;
    uploaded: boolean;
    /** base64 of the decrypted bytes. */
    bytes: string | null;
  } | null;
}

/** Result of an inbound send through the control API. */
export interface WireSendResult {
  id: string;
  delivered: string[];
  queued: string[];
}
