import { Curve, generateSignalPubKey } from '@whiskeysockets/baileys';
import * as libsignalCurve from 'libsignal/src/curve.js';

/** An X25519/XEdDSA key pair as Baileys stores it: 32-byte public key without the 0x05 prefix. */
export interface KeyPair {
  private: Buffer;
  public: Buffer;
}

/** Generates a fresh Curve25519 key pair. */
export function generateKeyPair(): KeyPair {
  const kp = Curve.generateKeyPair();
  return { private: Buffer.from(kp.private), public: Buffer.from(kp.public) };
}

/** Diffie-Hellman agreement between our private key and a peer's 32- or 33-byte public key. */
export function sharedKey(privateKey: Uint8Array, publicKey: Uint8Array): Buffer {
  return Curve.sharedKey(privateKey, publicKey);
}

/** XEdDSA signature over `message` with `privateKey`. */
export function sign(privateKey: Uint8Array, message: Uint8Array): Buffer {
  return Buffer.from(Curve.sign(privateKey, message));
}

/**
 * A real signature check. Baileys' `Curve.verify` only catches throws, and libsignal's
 * `verifySignature` *returns* false on a bad signature, so `Curve.verify` accepts any
 * well-formed signature (protocol notes §9). The sim uses the return value instead.
 */
export function verifySignature(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): boolean {
  try {
    return libsignalCurve.verifySignature(generateSignalPubKey(publicKey), message, signature);
  } catch {
    return false;
  }
}

/** Prefixes the 0x05 key-type byte libsignal expects. */
export function signalPubKey(publicKey: Uint8Array): Buffer {
  return Buffer.from(generateSignalPubKey(publicKey));
}
