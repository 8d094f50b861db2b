import type { AuthStateStore, AuthStateStoreOptions } from './auth-state-store.js';
import { EncryptedAuthStateStore } from './encrypted-auth-state-store.js';
import { FileAuthBackend } from './file-auth-backend.js';

/** Options of {@link createFileAuthStateStore}. */
export interface FileAuthStateStoreOptions extends AuthStateStoreOptions {
  /** Directory holding every session's files; created when missing. One process owns it. */
  dir: string;
}

/** The single-node store: files under one directory, with its own fence counters. */
export interface FileAuthStateStore extends AuthStateStore {
  /**
   * Increments a session's fence counter and returns the new value: open with it, and any handle
   * opened earlier with a lower fence is refused from then on (a restarted in-process session
   * fences out the old one, as a lease acquisition does in a cluster).
   */
  advanceFence(sessionId: string): Promise<number>;
  /** Waits for pending writes and closes open files. */
  close(): Promise<void>;
}

/** The single-node auth state store: encrypted files, atomic writes, fenced like the Redis one. */
export function createFileAuthStateStore(options: FileAuthStateStoreOptions): FileAuthStateStore {
  const backend = new FileAuthBackend(options.dir);
  const store = new EncryptedAuthStateStore(backend, options);
  return {
    open: (sessionId, openOptions) => store.open(sessionId, openOptions),
    exists: (sessionId) => store.exists(sessionId),
    wipe: (sessionId, wipeOptions) => store.wipe(sessionId, wipeOptions),
    advanceFence: (sessionId) => backend.advanceFence(sessionId),
    close: () => backend.close(),
  };
}
