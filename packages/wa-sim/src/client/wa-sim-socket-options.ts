import { Agent } from 'node:https';
import { WA_CERT_DETAILS } from '@whiskeysockets/baileys';

/** Where a Baileys socket should connect and what it must trust. */
export interface WaSimTarget {
  /** The sim's websocket URL (`WaSim.wsUrl`, or `ws_url` from the CLI). */
  wsUrl: string;
  /** The sim's Noise root public key: 32 bytes, or base64 of them. */
  rootPublicKey: Uint8Array | string;
  /** PEM of the sim's media-host certificate; enables image/document sends. */
  mediaCaPem?: string;
}

/** The subset of Baileys `SocketConfig` the helper sets. */
export interface WaSimSocketOptions {
  waWebSocketUrl: URL;
  fetchAgent?: Agent;
}

/**
 * Points a Baileys socket at a wa-sim: returns `waWebSocketUrl` (+ a `fetchAgent` trusting the
 * media host) and makes this process trust the sim's Noise root by setting
 * `WA_CERT_DETAILS.PUBLIC_KEY` on the same Baileys module instance the socket uses.
 * A deliberate test hook: it throws when `NODE_ENV=production`.
 */
export function waSimSocketOptions(target: WaSimTarget): WaSimSocketOptions {
  if (process.env.NODE_ENV === 'production') {
    throw new Error('wa-sim: refusing to trust a simulator root key with NODE_ENV=production');
  }
  const key =
    typeof target.rootPublicKey === 'string'
      ? Buffer.from(target.rootPublicKey, 'base64')
      : Buffer.from(target.rootPublicKey);
  if (key.length !== 32)
    throw new Error(`wa-sim: root public key must be 32 bytes, got ${key.length}`);
  // Baileys reads this object at every handshake; it is the exported, mutable module state.
  WA_CERT_DETAILS.PUBLIC_KEY = key;
  const options: WaSimSocketOptions = { waWebSocketUrl: new URL(target.wsUrl) };
  if (target.mediaCaPem) options.fetchAgent = new Agent({ ca: target.mediaCaPem });
  return options;
}
