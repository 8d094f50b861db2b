import type { EncryptionKeyring } from '@wafleet/core';
import type {
  AuthenticationCreds,
  SignalDataSet,
  SignalDataTypeMap,
  SignalKeyStore,
} from '@whiskeysockets/baileys';
import type { FencedOutError } from './errors.js';

/** An auth-store operation as seen by the metrics hook. */
export type AuthStoreOp = 'get' | 'set' | 'creds' | 'wipe';

/**
 * Called once per storage round trip (cache hits are not round trips): `creds` covers loading
 * creds in `open()` and `saveCreds()`. `ok` is false when the operation threw (fenced out included).
 */
export type AuthStoreObserver = (op: AuthStoreOp, seconds: number, ok: boolean) => void;

/** Options of {@link AuthStateStore.open}. */
export interface OpenAuthStateOptions {
  /**
   * The fence of the caller's lease on the session (the value the ownership package got from
   * INCR-ing the fence counter). Single-process use passes 0 and never creates a counter.
   */
  fence: number;
  /**
   * Called once, synchronously, the first time a write of this handle is refused. The refused
   * call also rejects with the same {@link FencedOutError}; the hook exists because Baileys runs
   * some `keys.set` calls in its own event handlers, where a rejection may only be logged.
   */
  onFencedOut?: (err: FencedOutError) => void;
}

/** Baileys' `SignalKeyStore`, with promises: a refused write always rejects. */
export interface SessionKeyStore extends SignalKeyStore {
  /** One storage round trip (or none, when every id is cached); ids not stored are omitted. */
  get<T extends keyof SignalDataTypeMap>(
    type: T,
    ids: string[],
  ): Promise<{ [id: string]: SignalDataTypeMap[T] }>;
  /** One atomic, fenced write of every item; `null`/`undefined` deletes. */
  set(data: SignalDataSet): Promise<void>;
}

/** Baileys' `AuthenticationState` (assignable to it) with {@link SessionKeyStore} keys. */
export interface SessionAuthenticationState {
  creds: AuthenticationCreds;
  keys: SessionKeyStore;
}

/** One session's Baileys auth state, bound to the fence it was opened with. */
export interface SessionAuthState {
  readonly sessionId: string;
  readonly fence: number;
  /** Pass to `makeWASocket({ auth: state })`. `state.keys.set` rejects with `FencedOutError`. */
  readonly state: SessionAuthenticationState;
  /** Writes `state.creds` atomically (fenced). Wire to Baileys' `creds.update` event. */
  saveCreds(): Promise<void>;
  /** Deletes this session's creds and keys (fenced). */
  wipe(): Promise<void>;
  /** The error that fenced this handle out, once a write was refused; every later write rejects with it. */
  readonly fencedOut: FencedOutError | undefined;
}

/** Where Baileys auth state lives: one interface, one conformance suite, a backend per storage. */
export interface AuthStateStore {
  /**
   * Loads (or, when none is stored, creates in memory with Baileys' `initAuthCreds()`) a
   * session's auth state. Rejects with `AuthStateKeyError` when stored creds do not decrypt.
   */
  open(sessionId: string, options: OpenAuthStateOptions): Promise<SessionAuthState>;
  /** Whether creds are stored for the session (it has logged in, or at least saved creds once). */
  exists(sessionId: string): Promise<boolean>;
  /** Deletes exactly this session's creds and keys; refused (FencedOutError) if a newer fence is stored. */
  wipe(sessionId: string, options: { fence: number }): Promise<void>;
}

/** Options every backend takes. */
export interface AuthStateStoreOptions {
  /** Parsed `ENCRYPTION_KEYS`: `currentKeyId` encrypts, every key decrypts. */
  keyring: EncryptionKeyring;
  observe?: AuthStoreObserver;
  /**
   * Per-session write-through cache of signal keys, in bytes of plaintext (0 = no cache, the
   * default). Safe because a session has one owner; it is updated only after a durable write.
   * Use this instead of Baileys' `makeCacheableSignalKeyStore`, which updates its cache before
   * the write and so keeps a value that a fenced-out write never stored.
   */
  cacheBytes?: number;
}
