/** The outcome of a fenced write: applied, or refused because a newer fence is stored. */
export type FencedWriteResult = { applied: true } | { applied: false; storedFence: number };

/**
 * What a storage backend provides: opaque (already encrypted) bytes per location, and fenced
 * writes. Encryption, encoding, caching and the Baileys shapes live above it, in one place, so
 * every backend behaves alike and the conformance suite tests that shared behaviour through each.
 */
export interface AuthBackend {
  readCreds(sessionId: string): Promise<Buffer | null>;
  /** Replaces the creds atomically (old or new, never a mix), unless fenced out. */
  writeCreds(sessionId: string, fence: number, envelope: Buffer): Promise<FencedWriteResult>;
  /** One round trip; `null` where a field is absent. */
  readKeys(sessionId: string, fields: readonly string[]): Promise<(Buffer | null)[]>;
  /** Applies all puts and deletes atomically, unless fenced out. */
  writeKeys(
    sessionId: string,
    fence: number,
    puts: readonly (readonly [field: string, envelope: Buffer])[],
    deletes: readonly string[],
  ): Promise<FencedWriteResult>;
  /** Deletes the session's creds and keys (and nothing else), unless fenced out. */
  wipe(sessionId: string, fence: number): Promise<FencedWriteResult>;
  hasCreds(sessionId: string): Promise<boolean>;
}
