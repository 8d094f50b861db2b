import type {
  AuthenticationCreds,
  SignalDataSet,
  SignalDataTypeMap,
} from '@whiskeysockets/baileys';
import type { AuthBackend, FencedWriteResult } from './auth-backend.js';
import type {
  AuthStoreOp,
  SessionAuthenticationState,
  SessionAuthState,
  SessionKeyStore,
} from './auth-state-store.js';
import { FencedOutError } from './errors.js';
import type { KeyCache } from './key-cache.js';
import type { ValueCipher } from './value-cipher.js';
import { decodeValue, encodeValue } from './value-codec.js';

/** The location name of a session's creds; signal key fields always contain a ':', so never collide. */
export const CREDS_FIELD = 'creds';

/** Runs one storage round trip, reporting its latency to the metrics hook. */
export type Timed = <T>(op: AuthStoreOp, run: () => Promise<T>) => Promise<T>;

/** What a handle needs from its store. */
export interface HandleContext {
  backend: AuthBackend;
  cipher: ValueCipher;
  timed: Timed;
  cache: KeyCache | undefined;
  onFencedOut: ((err: FencedOutError) => void) | undefined;
}

function assign(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty: an id such as "__proto__" must become a field, not a prototype.
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** A session's auth state opened with one fence; every write goes through the fence check. */
export class SessionAuthHandle implements SessionAuthState {
  readonly state: SessionAuthenticationState;
  private refusal: FencedOutError | undefined;

  constructor(
    readonly sessionId: string,
    readonly fence: number,
    creds: AuthenticationCreds,
    private readonly ctx: HandleContext,
  ) {
    const keys: SessionKeyStore = {
      get: (type, ids) => this.getKeys(type, ids),
      set: (data) => this.setKeys(data),
    };
    this.state = { creds, keys };
  }

  get fencedOut(): FencedOutError | undefined {
    return this.refusal;
  }

  async saveCreds(): Promise<void> {
    this.throwIfFencedOut();
    const envelope = this.ctx.cipher.seal(
      this.sessionId,
      CREDS_FIELD,
      encodeValue(this.state.creds),
    );
    await this.ctx.timed('creds', async () =>
      this.check(await this.ctx.backend.writeCreds(this.sessionId, this.fence, envelope)),
    );
  }

  async wipe(): Promise<void> {
    this.throwIfFencedOut();
    const { cache } = this.ctx;
    cache?.writeStarted();
    try {
      await this.ctx.timed('wipe', async () =>
        this.check(await this.ctx.backend.wipe(this.sessionId, this.fence)),
      );
    } catch (err) {
      cache?.writeFailed([], true);
      // Not refused: the wipe may have happened, so nothing cached can be trusted.
      if (!(err instanceof FencedOutError)) cache?.clear();
      throw err;
    }
    cache?.clear();
    cache?.writeSucceeded([]);
  }

  private async getKeys<T extends keyof SignalDataTypeMap>(
    type: T,
    ids: string[],
  ): Promise<{ [id: string]: SignalDataTypeMap[T] }> {
    const result: Record<string, unknown> = {};
    const { cache, cipher } = this.ctx;
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const cached = cache?.get(`${type}:${id}`);
      if (cached) assign(result, id, decodeValue(cached));
      else missing.push(id);
    }
    if (missing.length > 0) {
      const token = cache?.readStarted() ?? 0;
      const fields = missing.map((id) => `${type}:${id}`);
      const stored = await this.ctx.timed('get', () =>
        this.ctx.backend.readKeys(this.sessionId, fields),
      );
      for (const [i, id] of missing.entries()) {
        const envelope = stored[i];
        const field = fields[i] as string;
        if (!envelope) continue;
        const plaintext = cipher.open(this.sessionId, field, envelope);
        cache?.fill(token, field, plaintext);
        assign(result, id, decodeValue(plaintext));
      }
    }
    return result as { [id: string]: SignalDataTypeMap[T] };
  }

  private async setKeys(data: SignalDataSet): Promise<void> {
    this.throwIfFencedOut();
    const puts: (readonly [string, Buffer])[] = [];
    const deletes: string[] = [];
    const changes: (readonly [string, Buffer | null])[] = [];
    for (const type of Object.keys(data) as (keyof SignalDataTypeMap)[]) {
      const items: Record<string, unknown> | undefined = data[type];
      if (!items) continue;
      for (const id of Object.keys(items)) {
        const field = `${type}:${id}`;
        const value = items[id];
        if (value === null || value === undefined) {
          deletes.push(field);
          changes.push([field, null]);
        } else {
          const plaintext = encodeValue(value);
          puts.push([field, this.ctx.cipher.seal(this.sessionId, field, plaintext)]);
          changes.push([field, plaintext]);
        }
      }
    }
    if (changes.length === 0) return;
    const { cache } = this.ctx;
    cache?.writeStarted();
    try {
      await this.ctx.timed('set', async () =>
        this.check(await this.ctx.backend.writeKeys(this.sessionId, this.fence, puts, deletes)),
      );
    } catch (err) {
      cache?.writeFailed(
        changes.map(([field]) => field),
        err instanceof FencedOutError,
      );
      throw err;
    }
    cache?.writeSucceeded(changes);
  }

  private throwIfFencedOut(): void {
    // Fences only increase: once refused, every later write would be too; skip the round trip.
    if (this.refusal) throw this.refusal;
  }

  private check(result: FencedWriteResult): void {
    if (result.applied) return;
    if (!this.refusal) {
      this.refusal = new FencedOutError(this.sessionId, this.fence, result.storedFence);
      try {
        this.ctx.onFencedOut?.(this.refusal);
      } catch {
        // The hook's own failure must not replace the refusal the caller needs to see.
      }
    }
    throw this.refusal;
  }
}
