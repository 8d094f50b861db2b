import { proto, unpadRandomMax16, writeRandomPadMax16 } from '@whiskeysockets/baileys';
import { ProtocolAddress, SessionBuilder, SessionCipher } from 'libsignal';
import { signalPubKey } from '../crypto/curve.js';
import type { CompanionDevice } from '../model/companion-device.js';
import type { SignalIdentity } from '../signal/signal-identity.js';

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
 * uploaded bundle first if needed (then it is a `pkmsg`, consuming one uploaded prekey).
 */
export async function encryptToCompanion(
  sender: SignalIdentity,
  companion: CompanionDevice,
  message: proto.IMessage,
): Promise<{ type: 'pkmsg' | 'msg'; body: Buffer }> {
  const address = companionAddress(companion);
  if (!sender.hasSession(address.toString())) {
    const preKey = companion.preKeys.shift();
    await new SessionBuilder(sender, address).initOutgoing({
      registrationId: companion.registrationId,
      identityKey: signalPubKey(companion.identityKey),
      signedPreKey: {
        keyId: companion.signedPreKey.id,
        publicKey: signalPubKey(companion.signedPreKey.public),
        signature: companion.signedPreKey.signature,
      },
      // libsignal's typing requires a prekey, but initOutgoing accepts a bundle without one.
      preKey: preKey
        ? { keyId: preKey[0], publicKey: signalPubKey(preKey[1]) }
        : (undefined as never),
    });
  }
  const padded = writeRandomPadMax16(proto.Message.encode(message).finish());
  const out = await new SessionCipher(sender, address).encrypt(padded);
  // libsignal returns a Buffer although its typings say string.
  const body = Buffer.from(out.body as unknown as Uint8Array);
  return { type: out.type === 3 ? 'pkmsg' : 'msg', body };
}
