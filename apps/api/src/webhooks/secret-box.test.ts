import { describe, expect, it } from 'vitest';
import { SecretBox } from './secret-box.js';

const key = (n: number) => Buffer.alloc(32, n);

describe('SecretBox', () => {
  const old = new SecretBox({ currentKeyId: 'k1', keys: new Map([['k1', key(1)]]) });
  const rotated = new SecretBox({
    currentKeyId: 'k2',
    keys: new Map([
      ['k2', key(2)],
      ['k1', key(1)],
    ]),
  });

  it('round-trips and never stores the plaintext', () => {
    const sealed = old.seal('my webhook secret');
    expect(sealed).toMatch(/^enc1:k1:/);
    expect(sealed).not.toContain('webhook');
    expect(old.open(sealed)).toBe('my webhook secret');
    expect(old.seal('x')).not.toBe(old.seal('x'));
  });

  it('opens old envelopes after a rotation and seals with the new key', () => {
    const sealed = old.seal('s');
    expect(rotated.open(sealed)).toBe('s');
    expect(rotated.seal('s')).toMatch(/^enc1:k2:/);
    expect(old.open(rotated.seal('s'))).toBeUndefined();
  });

  it.each([
    ['garbage', 'nope'],
    ['unknown key id', 'enc1:k9:AAAA'],
    ['too short', 'enc1:k1:AAAA'],
  ])('refuses %s', (_name, envelope) => {
    expect(old.open(envelope)).toBeUndefined();
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = old.seal('secret');
    const blob = Buffer.from(sealed.split(':')[2]!, 'base64url');
    blob[blob.length - 1]! ^= 1;
    expect(old.open(`enc1:k1:${blob.toString('base64url')}`)).toBeUndefined();
  });
});
