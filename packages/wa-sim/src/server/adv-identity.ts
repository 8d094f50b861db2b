import { createHmac } from 'node:crypto';
import { proto } from '@whiskeysockets/baileys';
import { sign, verifySignature, type KeyPair } from '../crypto/curve.js';

const ACCOUNT_SIG_PREFIX = Buffer.from([6, 0]);
const DEVICE_SIG_PREFIX = Buffer.from([6, 1]);

/** The phone-signed device identity for a new companion (protocol notes §3). */
export interface AdvIdentity {
  /** Encoded `ADVDeviceIdentity`. */
  deviceDetails: Buffer;
  /** Decoded-form `ADVSignedDeviceIdentity` without the device signature. */
  signed: { details: Buffer; accountSignatureKey: Buffer; accountSignature: Buffer };
  /** Encoded `ADVSignedDeviceIdentity`. */
  signedBytes: Buffer;
}

/** Signs a companion's identity key with the phone's account key. */
export function signCompanion(
  account: KeyPair,
  companionIdentityPub: Buffer,
  keyIndex: number,
): AdvIdentity {
  const deviceDetails = Buffer.from(
    proto.ADVDeviceIdentity.encode({
      rawId: Math.floor(Math.random() * 0x7fffffff),
      timestamp: Math.floor(Date.now() / 1000),
      keyIndex,
    }).finish(),
  );
  const accountSignature = sign(
    account.private,
    Buffer.concat([ACCOUNT_SIG_PREFIX, deviceDetails, companionIdentityPub]),
  );
  const signed = { details: deviceDetails, accountSignatureKey: account.public, accountSignature };
  const signedBytes = Buffer.from(proto.ADVSignedDeviceIdentity.encode(signed).finish());
  return { deviceDetails, signed, signedBytes };
}

/** `ADVSignedDeviceIdentityHMAC` bytes for the pair-success `device-identity` node. */
export function advHmacEnvelope(signedBytes: Buffer, advSecret: Buffer): Buffer {
  const hmac = createHmac('sha256', advSecret).update(signedBytes).digest();
  return Buffer.from(
    proto.ADVSignedDeviceIdentityHMAC.encode({ details: signedBytes, hmac }).finish(),
  );
}

/** The companion's device signature over its details, as Baileys computes it. */
export function deviceSignatureMessage(
  deviceDetails: Buffer,
  companionIdentityPub: Buffer,
  accountPub: Buffer,
): Buffer {
  return Buffer.concat([DEVICE_SIG_PREFIX, deviceDetails, companionIdentityPub, accountPub]);
}

/** Signs as the companion would (used for pre-paired devices whose keys the sim generated). */
export function signAsCompanion(
  companionIdentity: KeyPair,
  deviceDetails: Buffer,
  accountPub: Buffer,
): Buffer {
  return sign(
    companionIdentity.private,
    deviceSignatureMessage(deviceDetails, companionIdentity.public, accountPub),
  );
}

/** Checks the companion's `pair-device-sign` reply with a real signature verification. */
export function verifyDeviceSignature(
  replyIdentity: Uint8Array,
  companionIdentityPub: Buffer,
  accountPub: Buffer,
): boolean {
  const decoded = proto.ADVSignedDeviceIdentity.decode(replyIdentity);
  if (!decoded.details || !decoded.deviceSignature) return false;
  return verifySignature(
    companionIdentityPub,
    deviceSignatureMessage(Buffer.from(decoded.details), companionIdentityPub, accountPub),
    decoded.deviceSignature,
  );
}
