import { Curve } from '@whiskeysockets/baileys';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  installStrictSignatureCheck,
  isStrictSignatureCheckInstalled,
  strictVerify,
  trustSimulatorRoot,
} from './server-trust.js';

describe('strict signature check', () => {
  it('rejects what rc14 Curve.verify accepts, and accepts real signatures', () => {
    const pair = Curve.generateKeyPair();
    const other = Curve.generateKeyPair();
    const msg = randomBytes(50);
    const sig = Curve.sign(pair.private, msg);
    // The upstream bug this module exists for: any well-formed signature passes.
    const upstream = Curve.verify.bind(Curve);
    if (!isStrictSignatureCheckInstalled())
      expect(upstream(other.public, msg, randomBytes(64))).toBe(true);
    expect(strictVerify(pair.public, msg, sig)).toBe(true);
    expect(strictVerify(other.public, msg, sig)).toBe(false);
    expect(strictVerify(pair.public, msg, randomBytes(64))).toBe(false);
    expect(strictVerify(pair.public, msg, randomBytes(10))).toBe(false);
    installStrictSignatureCheck();
    installStrictSignatureCheck();
    expect(isStrictSignatureCheckInstalled()).toBe(true);
    expect(Curve.verify(other.public, msg, randomBytes(64))).toBe(false);
    expect(Curve.verify(pair.public, msg, sig)).toBe(true);
  });

  it('remembers only checks that passed, for exactly the bytes that passed', () => {
    const pair = Curve.generateKeyPair();
    const msg = randomBytes(80);
    const sig = Curve.sign(pair.private, msg);
    expect(strictVerify(pair.public, msg, sig)).toBe(true);
    expect(strictVerify(pair.public, msg, sig)).toBe(true);
    for (let i = 0; i < 64; i += 7) {
      const flipped = Buffer.from(sig);
      flipped[i] = (flipped[i] ?? 0) ^ 1;
      expect(strictVerify(pair.public, msg, flipped)).toBe(false);
      expect(strictVerify(pair.public, msg, flipped)).toBe(false);
    }
    const otherMsg = Buffer.from(msg);
    otherMsg[0] = (otherMsg[0] ?? 0) ^ 0x80;
    expect(strictVerify(pair.public, otherMsg, sig)).toBe(false);
    // A message that is a prefix shift of another cannot collide with it in the cache key.
    expect(
      strictVerify(pair.public, Buffer.concat([msg, sig.subarray(0, 1)]), sig.subarray(1)),
    ).toBe(false);
    // Far more than the cache holds: the oldest are forgotten and checked again, still correctly.
    for (let i = 0; i < 70; i++) {
      const m = randomBytes(16);
      expect(strictVerify(pair.public, m, Curve.sign(pair.private, m))).toBe(true);
    }
    expect(strictVerify(pair.public, msg, sig)).toBe(true);
  });

  it('refuses to trust a simulator root in production', () => {
    expect(() => trustSimulatorRoot(randomBytes(32), { NODE_ENV: 'production' })).toThrow(
      /production/,
    );
    expect(() => trustSimulatorRoot(randomBytes(31), { NODE_ENV: 'test' })).toThrow(/32 bytes/);
  });
});
