import {
  proto,
  unpadRandomMax16,
  writeRandomPadMax16,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import { ProtocolAddress, SessionBuilder, SessionCipher } from 'libsignal';
import { signalPubKey } from '../crypto/curve.js';
import type { CompanionDevice } from '../model/companion-device.js';
import type { SignalIdentity } from '../signal/signal-identity.js';
import { child, childBytes, readBigEndian } from './binary-nodes.js';

/** The key bundle a client puts in a retry receipt (`<keys>`), asking for a new session. */
export interface RetryBundle {
  registrationId: number;
  identityKey: Buffer;
  signedPreKey: { id: number; public: Buffer; signature: Buffer };
  preKey?: { id: number; public: Buffer };
}

/** Reads the bundle of a `<receipt type="retry">`; undefined when it has none or it is incomplete. */
export function retryBundle(receipt: BinaryNode): RetryBundle | undefined {
  const keys = child(receipt, 'keys');
  const registration = childBytes(receipt, 'registration');
  const identityKey = childBytes(keys, 'identity');
  const skey = child(keys, 'skey');
  const sid = childBytes(skey, 'id');
  const spub = childBytes(skey, 'value');
  const signature = childBytes(skey, 'signature');
  if (!registration || !identityKey || !sid || !spub || !signature) return undefined;
  const key = child(keys, 'key');
  const kid = childBytes(key, 'id');
  const kpub = childBytes(key, 'value');
  return {
    registrationId: readBigEndian(registration),
    identityKey,
    signedPreKey: { id: readBigEndian(sid), public: spub, signature },
    ...(kid && kpub ? { preKey: { id: readBigEndian(kid), public: kpub } } : {}),
  };
}

/** The Signal address a simulated user keeps its session with a companion under. */
export function companionAddress(companion: CompanionDevice): ProtocolAddress {
  const user = companion.lid.split('@')[0]!.split(':')[0]!;
  return new ProtocolAddress(user, companion.deviceId);
}

/** Decrypts one `enc` payload a companion sent to `recipient`. */
export async function decryptFromCompanion(
  recipient: SignalIdentity,
  companion: CompanionDevice,
  encType: string,
  ciphertext: Uint8Array,
): Promise<proto.Message> {
  const cipher = new SessionCipher(recipient, companionAddress(companion));
  const plain =
    encType === 'pkmsg'
      ? await cipher.decryptPreKeyWhisperMessage(ciphertext)
      : await cipher.decryptWhisperMessage(ciphertext);
  return proto.Message.decode(unpadRandomMax16(plain));
}

/**
 * Encrypts `message` from `sender` to `companion`, building a session from the companion's
 * uploaded bundle first if needed (then it is a `pkmsg`, consuming one uploaded prekey), or
 * always from `fresh` (a retry receipt's bundle) when given.
 */
export async function encryptToCompanion(
  sender: SignalIdentity,
  companion: CompanionDevice,
  message: proto.IMessage,
  fresh?: RetryBundle,
): Promise<{ type: 'pkmsg' | 'msg'; body: Buffer }> {
  const address = companionAddress(companion);
  if (fresh || !sender.hasSession(address.toString())) {
    const uploaded = fresh ? undefined : companion.preKeys.shift();
    const bundle: RetryBundle = fresh ?? {
      registrationId: companion.registrationId,
      identityKey: companion.identityKey,
      signedPreKey: companion.signedPreKey,
      ...(uploaded ? { preKey: { id: uploaded[0], public: uploaded[1] } } : {}),
    };
    await new SessionBuilder(sender, address).initOutgoing({
      registrationId: bundle.registrationId,
      identityKey: signalPubKey(bundle.identityKey),
      signedPreKey: {
        keyId: bundle.signedPreKey.id,
        publicKey: signalPubKey(bundle.signedPreKey.public),
        signature: bundle.signedPreKey.signature,
      },
      // libsignal's typing requires a prekey, but initOutgoing accepts a bundle without one.
      preKey: bundle.preKey
        ? { keyId: bundle.preKey.id, publicKey: signalPubKey(bundle.preKey.public) }
        : (undefined as never),
    });
  }
  const padded = writeRandomPadMax16(proto.Message.encode(message).finish());
  const out = await new SessionCipher(sender, address).encrypt(padded);
  // libsignal returns a Buffer although its typings say string.
  const body = Buffer.from(out.body as unknown as Uint8Array);
  return { type: out.type === 3 ? 'pkmsg' : 'msg', body };
}
