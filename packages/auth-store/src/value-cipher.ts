import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { EncryptionKeyring } from '@wafleet/core';
import { AuthStateKeyError, authStoreErrors } from './errors.js';

/*
 * Envelope (binary, stored as is):
 *   0x01 | keyIdLength (1 byte) | keyId (ASCII) | iv (12) | tag (16) | ciphertext
 * The header (version + key id) and the value's location (session id, field) are the AAD, so a
 * value copied to another session or field, or relabelled with another key id, fails to decrypt.
 *
 * Each session encrypts under its own subkey, HKDF-SHA256(master key, session id): random 96-bit
 * IVs are safe for about 2^32 encryptions per key, and a fleet writing signal keys on every
 * message would approach that with one shared key; per session it stays far away.
 */

const VERSION = 0x01;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HKDF_SALT = Buffer.from('wafleet/auth-store/v1');

/** The key id an envelope was written with, or undefined if the bytes are not an envelope. */
export function readEnvelopeKeyId(envelope: Uint8Array): string | undefined {
  if (envelope.length < 2 || envelope[0] !== VERSION) return undefined;
  const idLength = envelope[1] ?? 0;
  if (idLength === 0 || envelope.length < 2 + idLength + IV_BYTES + TAG_BYTES) return undefined;
  return Buffer.from(envelope.buffer, envelope.byteOffset + 2, idLength).toString('latin1');
}

function aad(header: Buffer, sessionId: string, field: string): Buffer {
  // Session ids cannot contain NUL and the field comes last, so the encoding is unambiguous.
  return Buffer.concat([header, Buffer.from(`\0${sessionId}\0${field}`, 'utf8')]);
}

/** AES-256-GCM encryption of auth state values with a rotating keyring. */
export class ValueCipher {
  private readonly keyring: EncryptionKeyring;
  private readonly subkeys = new Map<string, Buffer>();

  constructor(keyring: EncryptionKeyring) {
    const current = keyring.keys.get(keyring.currentKeyId);
    if (!current) {
      throw new AuthStateKeyError('AUTH_KEY_MISSING', {
        sessionId: '(any)',
        field: 'new writes',
        keyId: keyring.currentKeyId,
        configured: [...keyring.keys.keys()].join(', ') || '(none)',
      });
    }
    for (const [id, key] of keyring.keys) {
      if (key.length !== 32 || !/^[\x21-\x7e]{1,255}$/.test(id)) {
        throw authStoreErrors.create('AUTH_STORE_INVALID_ARGUMENT', {
          reason: `ENCRYPTION_KEYS entry "${id}" must be a printable id with a 32-byte key`,
        });
      }
    }
    this.keyring = keyring;
  }

  private subkey(keyId: string, master: Buffer, sessionId: string): Buffer {
    const cacheKey = `${keyId}\0${sessionId}`;
    let key = this.subkeys.get(cacheKey);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', master, HKDF_SALT, sessionId, 32));
      // Bounded: a worker holds at most a few thousand sessions; dropping all is cheap to redo.
      if (this.subkeys.size >= 10_000) this.subkeys.clear();
      this.subkeys.set(cacheKey, key);
    }
    return key;
  }

  /** Encrypts `plaintext` for one location with the current key. */
  seal(sessionId: string, field: string, plaintext: Uint8Array): Buffer {
    const keyId = this.keyring.currentKeyId;
    const master = this.keyring.keys.get(keyId) as Buffer;
    const idBytes = Buffer.from(keyId, 'latin1');
    const header = Buffer.concat([Buffer.from([VERSION, idBytes.length]), idBytes]);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.subkey(keyId, master, sessionId), iv);
    cipher.setAAD(aad(header, sessionId, field));
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([header, iv, cipher.getAuthTag(), ciphertext]);
  }

  /** Decrypts an envelope read from one location; throws {@link AuthStateKeyError}. */
  open(sessionId: string, field: string, envelope: Uint8Array): Buffer {
    const keyId = readEnvelopeKeyId(envelope);
    if (keyId === undefined) {
      throw new AuthStateKeyError('AUTH_DECRYPT_FAILED', {
        sessionId,
        field,
        keyId: '(unreadable)',
        reason:
          'the stored value is not a wafleet v1 envelope (corrupted or written by something else)',
      });
    }
    const master = this.keyring.keys.get(keyId);
    if (!master) {
      throw new AuthStateKeyError('AUTH_KEY_MISSING', {
        sessionId,
        field,
        keyId,
        configured: [...this.keyring.keys.keys()].join(', '),
      });
    }
    const bytes = Buffer.from(envelope.buffer, envelope.byteOffset, envelope.byteLength);
    const headerEnd = 2 + keyId.length;
    const iv = bytes.subarray(headerEnd, headerEnd + IV_BYTES);
    const tag = bytes.subarray(headerEnd + IV_BYTES, headerEnd + IV_BYTES + TAG_BYTES);
    const ciphertext = bytes.subarray(headerEnd + IV_BYTES + TAG_BYTES);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.subkey(keyId, master, sessionId), iv);
      decipher.setAAD(aad(bytes.subarray(0, headerEnd), sessionId, field));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
    } catch (cause) {
      throw new AuthStateKeyError(
        'AUTH_DECRYPT_FAILED',
        {
          sessionId,
          field,
          keyId,
          reason:
            'authentication failed (a different key under the same id, a corrupted value, or a value copied from another session or field)',
        },
        { cause },
      );
    }
  }
}
