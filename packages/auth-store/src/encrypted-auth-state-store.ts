import { performance } from 'node:perf_hooks';
import { isValidSessionId, SESSION_ID_RULE } from '@wafleet/core';
import { initAuthCreds, type AuthenticationCreds } from '@whiskeysockets/baileys';
import type { AuthBackend } from './auth-backend.js';
import type {
  AuthStateStore,
  AuthStateStoreOptions,
  AuthStoreObserver,
  AuthStoreOp,
  OpenAuthStateOptions,
  SessionAuthState,
} from './auth-state-store.js';
import { authStoreErrors, FencedOutError } from './errors.js';
import { KeyCache } from './key-cache.js';
import { CREDS_FIELD, SessionAuthHandle } from './session-auth-handle.js';
import { ValueCipher } from './value-cipher.js';
import { decodeValue } from './value-codec.js';

function assertSessionId(sessionId: string): void {
  if (!isValidSessionId(sessionId)) {
    throw authStoreErrors.create('AUTH_STORE_INVALID_ARGUMENT', {
      reason: `session id ${JSON.stringify(sessionId)} must be ${SESSION_ID_RULE}`,
    });
  }
}

function assertFence(fence: number): void {
  if (!Number.isSafeInteger(fence) || fence < 0) {
    throw authStoreErrors.create('AUTH_STORE_INVALID_ARGUMENT', {
      reason: `fence must be a non-negative integer, got ${String(fence)}`,
    });
  }
}

/**
 * The {@link AuthStateStore} every backend shares: encoding, AES-256-GCM, the Baileys shapes,
 * fencing errors, the optional cache and the metrics hook, over an {@link AuthBackend}.
 */
export class EncryptedAuthStateStore implements AuthStateStore {
  private readonly cipher: ValueCipher;
  private readonly observe: AuthStoreObserver | undefined;
  private readonly cacheBytes: number;

  constructor(
    private readonly backend: AuthBackend,
    options: AuthStateStoreOptions,
  ) {
    this.cipher = new ValueCipher(options.keyring);
    this.observe = options.observe;
    this.cacheBytes = options.cacheBytes ?? 0;
    if (!Number.isSafeInteger(this.cacheBytes) || this.cacheBytes < 0) {
      throw authStoreErrors.create('AUTH_STORE_INVALID_ARGUMENT', {
        reason: `cacheBytes must be a non-negative integer, got ${String(options.cacheBytes)}`,
      });
    }
  }

  private readonly timed = async <T>(op: AuthStoreOp, run: () => Promise<T>): Promise<T> => {
    const observe = this.observe;
    if (!observe) return run();
    const started = performance.now();
    let ok = false;
    try {
      const result = await run();
      ok = true;
      return result;
    } finally {
      try {
        observe(op, (performance.now() - started) / 1000, ok);
      } catch {
        // A metrics bug must never fail an auth state write.
      }
    }
  };

  async open(sessionId: string, options: OpenAuthStateOptions): Promise<SessionAuthState> {
    assertSessionId(sessionId);
    assertFence(options.fence);
    const creds = await this.timed('creds', async () => {
      const envelope = await this.backend.readCreds(sessionId);
      if (!envelope) return initAuthCreds();
      return decodeValue(this.cipher.open(sessionId, CREDS_FIELD, envelope)) as AuthenticationCreds;
    });
    return new SessionAuthHandle(sessionId, options.fence, creds, {
      backend: this.backend,
      cipher: this.cipher,
      timed: this.timed,
      cache: this.cacheBytes > 0 ? new KeyCache(this.cacheBytes) : undefined,
      onFencedOut: options.onFencedOut,
    });
  }

  async exists(sessionId: string): Promise<boolean> {
    assertSessionId(sessionId);
    return this.backend.hasCreds(sessionId);
  }

  async wipe(sessionId: string, options: { fence: number }): Promise<void> {
    assertSessionId(sessionId);
    assertFence(options.fence);
    await this.timed('wipe', async () => {
      const result = await this.backend.wipe(sessionId, options.fence);
      if (!result.applied) throw new FencedOutError(sessionId, options.fence, result.storedFence);
    });
  }
}
