import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AuthStateKeyError } from './errors.js';
import { readEnvelopeKeyId, ValueCipher } from './value-cipher.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const ring = (current: string, ...keys: [string, Buffer][]) => ({
  currentKeyId: current,
  keys: new Map(keys),
});

function decryptError(run: () => unknown): AuthStateKeyError {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(AuthStateKeyError);
    return err as AuthStateKeyError;
  }
  throw new Error('expected a decryption error');
}

describe('value cipher', () => {
  const plaintext = Buffer.from([0x00, 0xff, 0xc3, 0x28, 1, 2, 3]);

  it('writes a v1 envelope: version, key id, 12-byte IV, 16-byte tag, ciphertext', () => {
    const cipher = new ValueCipher(ring('k1', ['k1', k1]));
    const envelope = cipher.seal('s1', 'session:a', plaintext);
    expect(envelope[0]).toBe(1);
    expect(envelope[1]).toBe(2);
    expect(envelope.subarray(2, 4).toString()).toBe('k1');
    expect(envelope.length).toBe(4 + 12 + 16 + plaintext.length);
    expect(readEnvelopeKeyId(envelope)).toBe('k1');
    expect(cipher.open('s1', 'session:a', envelope)).toEqual(plaintext);
    expect(readEnvelopeKeyId(Buffer.from('plain'))).toBeUndefined();
  });

  it('uses a fresh IV for every value and a different key per session', () => {
    const cipher = new ValueCipher(ring('k1', ['k1', k1]));
    const a = cipher.seal('s1', 'f', plaintext);
    const b = cipher.seal('s1', 'f', plaintext);
    expect(a.subarray(4, 16)).not.toEqual(b.subarray(4, 16));
    // Same IV forced into another session's envelope still fails: the subkeys differ.
    const forged = Buffer.from(a);
    expect(decryptError(() => cipher.open('s2', 'f', forged)).code).toBe('AUTH_DECRYPT_FAILED');
  });

  it('fails on any changed byte, another location, or a relabelled key id', () => {
    const cipher = new ValueCipher(ring('k1', ['k1', k1], ['k9', k1]));
    const envelope = cipher.seal('s1', 'session:a', plaintext);
    for (let i = 0; i < envelope.length; i++) {
      const tampered = Buffer.from(envelope);
      tampered[i] = (tampered[i] as number) ^ 0x01;
      expect(() => cipher.open('s1', 'session:a', tampered), `byte ${i}`).toThrow(
        AuthStateKeyError,
      );
    }
    expect(decryptError(() => cipher.open('s1', 'session:b', envelope)).code).toBe(
      'AUTH_DECRYPT_FAILED',
    );
    expect(decryptError(() => cipher.open('s10', 'session:a', envelope)).code).toBe(
      'AUTH_DECRYPT_FAILED',
    );
    const relabelled = Buffer.from(envelope);
    relabelled.write('k9', 2, 'latin1');
    expect(decryptError(() => cipher.open('s1', 'session:a', relabelled)).code).toBe(
      'AUTH_DECRYPT_FAILED',
    );
  });

  it('names ENCRYPTION_KEYS and the key id when the key is missing or wrong, never key bytes', () => {
    const envelope = new ValueCipher(ring('k1', ['k1', k1])).seal('s1', 'creds', plaintext);
    const missing = decryptError(() =>
      new ValueCipher(ring('k2', ['k2', k2])).open('s1', 'creds', envelope),
    );
    expect(missing.code).toBe('AUTH_KEY_MISSING');
    expect(missing.message).toContain('"k1"');
    expect(missing.message).toContain('ENCRYPTION_KEYS');
    expect(missing.message).toContain('k2');
    const wrong = decryptError(() =>
      new ValueCipher(ring('k1', ['k1', k2])).open('s1', 'creds', envelope),
    );
    expect(wrong.code).toBe('AUTH_DECRYPT_FAILED');
    expect(wrong.message).toContain('ENCRYPTION_KEYS');
    for (const key of [k1, k2]) {
      expect(wrong.message).not.toContain(key.toString('base64'));
      expect(JSON.stringify(wrong.toJSON())).not.toContain(key.toString('base64'));
    }
  });

  it('decrypts with old keys and encrypts with the current one (rotation)', () => {
    const old = new ValueCipher(ring('k1', ['k1', k1])).seal('s1', 'f', plaintext);
    const rotated = new ValueCipher(ring('k2', ['k2', k2], ['k1', k1]));
    expect(rotated.open('s1', 'f', old)).toEqual(plaintext);
    expect(readEnvelopeKeyId(rotated.seal('s1', 'f', plaintext))).toBe('k2');
  });

  it('refuses a keyring without its current key or with a key of the wrong size', () => {
    expect(() => new ValueCipher(ring('k2', ['k1', k1]))).toThrow(AuthStateKeyError);
    expect(() => new ValueCipher(ring('k1', ['k1', randomBytes(16)]))).toThrow(/32-byte/);
  });
});
