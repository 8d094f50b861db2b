import { createHash } from 'node:crypto';
import { Curve, WA_CERT_DETAILS } from '@whiskeysockets/baileys';
import { verifySignature } from 'libsignal/src/curve.js';

/** WhatsApp's Noise root key as shipped in Baileys (captured before anyone can change it). */
export const WHATSAPP_ROOT_PUBLIC_KEY: Buffer = Buffer.from(WA_CERT_DETAILS.PUBLIC_KEY);

let strictInstalled = false;

/**
 * Digests of (key, message, signature) triples that verified. Every Noise handshake presents the
 * server's certificate chain, the same bytes for every socket, and the pure-JS check costs about
 * 5 ms each: with hundreds of sockets reconnecting at once (a failover) that is seconds of CPU.
 * Only successes are kept, keyed by the whole triple, so a hit is a check already passed.
 */
const verified = new Map<string, true>();
const VERIFIED_MAX = 64;

function tripleDigest(pubKey: Uint8Array, message: Uint8Array, signature: Uint8Array): string {
  const h = createHash('sha256');
  for (const part of [pubKey, message, signature]) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(part.length);
    h.update(len).update(part);
  }
  return h.digest('base64');
}

/** A signature check that honours the result (libsignal returns false on a bad signature). */
export function strictVerify(
  pubKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    const key = pubKey.length === 32 ? Buffer.concat([Buffer.from([5]), pubKey]) : pubKey;
    const digest = tripleDigest(key, message, signature);
    if (verified.has(digest)) return true;
    const ok = verifySignature(key, message, signature) === true;
    if (ok) {
      if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value as string);
      verified.set(digest, true);
    }
    return ok;
  } catch {
    return false;
  }
}

/**
 * Baileys 7.0.0-rc14's `Curve.verify` only catches throws and ignores libsignal's `false` return,
 * so the Noise certificate chain (and the pairing account signature) is checked for format only:
 * any server could pose as WhatsApp. This replaces it, process-wide, with a check that honours the
 * result. Idempotent. Called by every SessionRunner before its first socket.
 */
export function installStrictSignatureCheck(): void {
  if (strictInstalled) return;
  (Curve as { verify: typeof strictVerify }).verify = strictVerify;
  strictInstalled = true;
}

/** Whether the process currently verifies signatures for real. */
export function isStrictSignatureCheckInstalled(): boolean {
  return strictInstalled && Curve.verify === strictVerify;
}

/**
 * Trusts a wa-sim root key instead of WhatsApp's, for dev and tests only: refuses to run with
 * `NODE_ENV=production`. The trust is process-wide (Baileys reads one mutable root).
 */
export function trustSimulatorRoot(
  rootPublicKey: Uint8Array,
  env: Readonly<Record<string, string | undefined>> = process.env,
): void {
  if (env.NODE_ENV === 'production') {
    throw new Error(
      'refusing to trust a wa-sim root key with NODE_ENV=production: the simulator is for dev and tests only',
    );
  }
  if (rootPublicKey.length !== 32) throw new Error('the wa-sim root public key must be 32 bytes');
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(rootPublicKey);
}

/** Restores WhatsApp's own root key. */
export function trustWhatsAppRoot(): void {
  WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(WHATSAPP_ROOT_PUBLIC_KEY);
}
