import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKeyring } from '@wafleet/core';

const PREFIX = 'enc1';

/**
 * Encrypts small secrets (webhook signing secrets) at rest with the deployment keyring
 * (AES-256-GCM, key id in the envelope so `ENCRYPTION_KEYS` can rotate):
 * `enc1:<keyId>:<base64url(iv ‖ tag ‖ ciphertext)>`.
 */
export class SecretBox {
  constructor(private readonly keyring: EncryptionKeyring) {}

  seal(plaintext: string): string {
    const key = this.keyring.keys.get(this.keyring.currentKeyId);
    if (!key) throw new Error('the current encryption key is missing from the keyring');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(PREFIX));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const blob = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    return `${PREFIX}:${this.keyring.currentKeyId}:${blob}`;
  }

  /** The plaintext, or undefined when the envelope is malformed or its key is gone. */
  open(envelope: string): string | undefined {
    const [prefix, keyId, blob] = envelope.split(':');
    if (prefix !== PREFIX || !keyId || !blob) return undefined;
    const key = this.keyring.keys.get(keyId);
    if (!key) return undefined;
    const raw = Buffer.from(blob, 'base64url');
    if (raw.length < 28) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(PREFIX));
      decipher.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
