import { SignalIdentity, type SignalIdentityState } from '../signal/signal-identity.js';

/** Which automatic receipts a contact sends for messages it receives. */
export type AutoReceipt = 'none' | 'delivered' | 'read';

/** Serialisable form of a {@link SimUser}. */
export interface SimUserState {
  kind: 'phone' | 'contact';
  number: string;
  lid: string;
  name: string;
  autoReceipt: AutoReceipt;
  signal: SignalIdentityState;
  nextDeviceId: number;
}

/**
 * A simulated WhatsApp account's primary device: a phone (which links companions) or a contact
 * (which companions talk to). Both have a number, a LID and a Signal identity for device 0;
 * for a phone that identity is also the ADV account-signature key.
 */
export class SimUser {
  readonly kind: 'phone' | 'contact';
  readonly number: string;
  readonly lid: string;
  name: string;
  autoReceipt: AutoReceipt;
  readonly signal: SignalIdentity;
  nextDeviceId: number;

  constructor(init: {
    kind: 'phone' | 'contact';
    number: string;
    lid: string;
    name: string;
    autoReceipt?: AutoReceipt;
    signal?: SignalIdentityState;
    nextDeviceId?: number;
  }) {
    this.kind = init.kind;
    this.number = init.number;
    this.lid = init.lid;
    this.name = init.name;
    this.autoReceipt = init.autoReceipt ?? 'none';
    this.signal = new SignalIdentity(init.signal);
    this.nextDeviceId = init.nextDeviceId ?? 1;
  }

  /** `number@s.whatsapp.net` */
  get jid(): string {
    return `${this.number}@s.whatsapp.net`;
  }

  /** `lid@lid` */
  get lidJid(): string {
    return `${this.lid}@lid`;
  }

  /** Serialisable snapshot. */
  toState(): SimUserState {
    return {
      kind: this.kind,
      number: this.number,
      lid: this.lid,
      name: this.name,
      autoReceipt: this.autoReceipt,
      signal: this.signal.toState(),
      nextDeviceId: this.nextDeviceId,
    };
  }
}
