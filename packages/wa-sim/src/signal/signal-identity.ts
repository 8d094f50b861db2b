import { randomInt } from 'node:crypto';
import { SessionRecord, type SignalStorage } from 'libsignal';
import { generateKeyPair, sign, signalPubKey, type KeyPair } from '../crypto/curve.js';

/** A prekey bundle as the `encrypt/key` iq returns it. */
export interface PreKeyBundle {
  registrationId: number;
  identity: Buffer;
  signedPreKey: { id: number; public: Buffer; signature: Buffer };
  preKey?: { id: number; public: Buffer };
}

/** Serialisable form of a {@link SignalIdentity}. */
export interface SignalIdentityState {
  registrationId: number;
  identity: KeyPair;
  signedPreKey: { id: number; keyPair: KeyPair; signature: Buffer };
  preKeys: Array<[number, KeyPair]>;
  nextPreKeyId: number;
  sessions: Array<[string, unknown]>;
}

/**
 * One simulated Signal device (a contact's or the phone's device 0): identity, prekeys and
 * sessions, in memory. Implements the libsignal storage interface directly.
 */
export class SignalIdentity implements SignalStorage {
  readonly registrationId: number;
  readonly identity: KeyPair;
  readonly signedPreKey: { id: number; keyPair: KeyPair; signature: Buffer };
  private readonly preKeys = new Map<number, KeyPair>();
  private nextPreKeyId: number;
  private readonly sessions = new Map<string, SessionRecord>();

  constructor(state?: SignalIdentityState, identity?: KeyPair) {
    if (state) {
      this.registrationId = state.registrationId;
      this.identity = state.identity;
      this.signedPreKey = state.signedPreKey;
      for (const [id, kp] of state.preKeys) this.preKeys.set(id, kp);
      this.nextPreKeyId = state.nextPreKeyId;
      for (const [addr, rec] of state.sessions) {
        this.sessions.set(addr, SessionRecord.deserialize(rec as Uint8Array));
      }
      return;
    }
    this.registrationId = randomInt(1, 16380);
    this.identity = identity ?? generateKeyPair();
    const spk = generateKeyPair();
    this.signedPreKey = {
      id: 1,
      keyPair: spk,
      signature: sign(this.identity.private, signalPubKey(spk.public)),
    };
    this.nextPreKeyId = 1;
  }

  /** Returns a bundle with a fresh one-time prekey (kept until a pkmsg consumes it). */
  bundle(): PreKeyBundle {
    const id = this.nextPreKeyId++;
    const kp = generateKeyPair();
    this.preKeys.set(id, kp);
    return {
      registrationId: this.registrationId,
      identity: this.identity.public,
      signedPreKey: {
        id: this.signedPreKey.id,
        public: this.signedPreKey.keyPair.public,
        signature: this.signedPreKey.signature,
      },
      preKey: { id, public: kp.public },
    };
  }

  /** Serialisable snapshot for the state file. */
  toState(): SignalIdentityState {
    return {
      registrationId: this.registrationId,
      identity: this.identity,
      signedPreKey: this.signedPreKey,
      preKeys: [...this.preKeys],
      nextPreKeyId: this.nextPreKeyId,
      sessions: [...this.sessions].map(([addr, rec]) => [addr, rec.serialize()]),
    };
  }

  loadSession(id: string): Promise<SessionRecord | undefined> {
    return Promise.resolve(this.sessions.get(id));
  }

  storeSession(id: string, session: SessionRecord): Promise<void> {
    this.sessions.set(id, session);
    return Promise.resolve();
  }

  /** Drops every session (a reinstalled phone): what peers encrypt on their old sessions fails. */
  forgetSessions(): void {
    this.sessions.clear();
  }

  /** Whether an open session with `address` exists. */
  hasSession(address: string): boolean {
    return this.sessions.get(address)?.haveOpenSession() ?? false;
  }

  // The sim trusts on first use, like the real client does for new contacts.
  isTrustedIdentity(): boolean {
    return true;
  }

  loadPreKey(id: number | string): Promise<{ privKey: Buffer; pubKey: Buffer } | undefined> {
    const kp = this.preKeys.get(Number(id));
    return Promise.resolve(
      kp ? { privKey: kp.private, pubKey: signalPubKey(kp.public) } : undefined,
    );
  }

  removePreKey(id: number): void {
    this.preKeys.delete(id);
  }

  loadSignedPreKey(): { privKey: Buffer; pubKey: Buffer } {
    const kp = this.signedPreKey.keyPair;
    return { privKey: kp.private, pubKey: signalPubKey(kp.public) };
  }

  getOurRegistrationId(): number {
    return this.registrationId;
  }

  getOurIdentity(): { privKey: Buffer; pubKey: Buffer } {
    return { privKey: this.identity.private, pubKey: signalPubKey(this.identity.public) };
  }
}
