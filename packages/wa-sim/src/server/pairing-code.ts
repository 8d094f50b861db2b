import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { derivePairingCodeKey } from '@whiskeysockets/baileys';
import { generateKeyPair, sharedKey, type KeyPair } from '../crypto/curve.js';

/** What the companion sent in `companion_hello` (protocol notes §8). */
export interface CompanionHello {
  phoneNumber: string;
  wrappedCompanionEphemeral: Buffer;
  noiseKey: Buffer;
  ref: string;
}

function ctr(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  const c = createCipheriv('aes-256-ctr', key, iv);
  return Buffer.concat([c.update(data), c.final()]);
}

/** The phone's side after the user typed `code`: unwrapped keys and the notification payload. */
export interface PrimaryHello {
  companionEphemeral: Buffer;
  primaryEphemeral: KeyPair;
  wrappedPrimaryEphemeral: Buffer;
}

/** Unwraps the companion ephemeral with `code` and wraps a fresh primary ephemeral. */
export async function primaryHello(hello: CompanionHello, code: string): Promise<PrimaryHello> {
  const w = hello.wrappedCompanionEphemeral;
  if (w.length !== 80) throw new Error('wrapped companion ephemeral must be 80 bytes');
  const key = await derivePairingCodeKey(code, w.subarray(0, 32));
  const companionEphemeral = ctr(key, w.subarray(32, 48), w.subarray(48));
  const primaryEphemeral = generateKeyPair();
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const key2 = await derivePairingCodeKey(code, salt);
  const wrappedPrimaryEphemeral = Buffer.concat([salt, iv, ctr(key2, iv, primaryEphemeral.public)]);
  return { companionEphemeral, primaryEphemeral, wrappedPrimaryEphemeral };
}

/**
 * Decrypts the companion's key bundle and derives the ADV secret the phone then uses for
 * pair-success. Throws when the bundle does not decrypt (wrong code) or identities mismatch.
 */
export function deriveAdvSecret(
  primary: PrimaryHello,
  account: KeyPair,
  wrappedBundle: Buffer,
  companionIdentity: Buffer,
): Buffer {
  const shared = sharedKey(primary.primaryEphemeral.private, primary.companionEphemeral);
  const bundleKey = Buffer.from(
    hkdfSync(
      'sha256',
      shared,
      wrappedBundle.subarray(0, 32),
      'link_code_pairing_key_bundle_encryption_key',
      32,
    ),
  );
  const iv = wrappedBundle.subarray(32, 44);
  const body = wrappedBundle.subarray(44);
  const d = createDecipheriv('aes-256-gcm', bundleKey, iv);
  d.setAuthTag(body.subarray(body.length - 16));
  const plain = Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]);
  const identity = plain.subarray(0, 32);
  const primaryIdentity = plain.subarray(32, 64);
  const random = plain.subarray(64, 96);
  if (!identity.equals(companionIdentity) || !primaryIdentity.equals(account.public)) {
    throw new Error('pairing-code key bundle identities do not match');
  }
  const ikm = Buffer.concat([shared, sharedKey(account.private, companionIdentity), random]);
  return Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'adv_secret', 32));
}
