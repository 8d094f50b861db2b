import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Keys, RedisClient } from '@wafleet/redis';

/**
 * What an API key may do. `admin` may do everything (and manage keys); `sessions` manages
 * sessions, QR codes and pairing codes; `send` enqueues messages and reads their status; `read`
 * lists sessions, jobs, message status and events (QR strings in events are hidden from it).
 */
export const SCOPES = ['admin', 'sessions', 'send', 'read'] as const;
export type Scope = (typeof SCOPES)[number];

/** A stored API key, as listed (the secret is never stored, only its SHA-256). */
export interface ApiKeyInfo {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: number;
  revokedAt?: number;
}

/** The caller behind a request. */
export interface AuthenticatedKey {
  id: string;
  name: string;
  scopes: readonly Scope[];
}

interface StoredKey extends ApiKeyInfo {
  /** hex SHA-256 of the whole raw key. */
  hash: string;
}

/** The id of the key configured as `API_ADMIN_KEY`. */
export const BOOTSTRAP_KEY_ID = 'bootstrap';

// `wfk_<16 hex id>_<43 base64url chars = 32 random bytes>`: the id finds the record in one HGET.
const KEY_FORMAT = /^wfk_([0-9a-f]{16})_[A-Za-z0-9_-]{43}$/;

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** True when the key may act with one of `needed` (admin always may; an empty list = any key). */
export function hasScope(key: AuthenticatedKey, needed: readonly Scope[]): boolean {
  if (key.scopes.includes('admin') || needed.length === 0) return true;
  return needed.some((s) => key.scopes.includes(s));
}

/**
 * API keys in Redis: one hash field per key holding its name, scopes and the SHA-256 of the raw
 * key (a 32-byte random secret needs no slow hash). Lookups compare digests in constant time.
 */
export class ApiKeyStore {
  private readonly bootstrapHash: Buffer;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    bootstrapKey: string,
  ) {
    this.bootstrapHash = sha256(bootstrapKey);
  }

  /** Creates a key; the raw key is returned here once and never again. */
  async create(input: {
    name: string;
    scopes: Scope[];
  }): Promise<{ info: ApiKeyInfo; key: string }> {
    const id = randomBytes(8).toString('hex');
    const key = `wfk_${id}_${randomBytes(32).toString('base64url')}`;
    const stored: StoredKey = {
      id,
      name: input.name,
      scopes: [...new Set(input.scopes)],
      createdAt: Date.now(),
      hash: sha256(key).toString('hex'),
    };
    await this.redis.hset(this.keys.apiKeys(), id, JSON.stringify(stored));
    return { info: publicInfo(stored), key };
  }

  /** Every stored key (revoked ones included, marked), newest first. */
  async list(): Promise<ApiKeyInfo[]> {
    const all = await this.redis.hgetall(this.keys.apiKeys());
    return Object.values(all)
      .map((raw) => parseStored(raw))
      .filter((k): k is StoredKey => k !== undefined)
      .map(publicInfo)
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  /** Marks a key revoked; false when there is no such key. Revoked keys stay listed. */
  async revoke(id: string): Promise<ApiKeyInfo | undefined> {
    if (!/^[0-9a-f]{16}$/.test(id)) return undefined;
    const stored = parseStored(await this.redis.hget(this.keys.apiKeys(), id));
    if (!stored) return undefined;
    stored.revokedAt ??= Date.now();
    await this.redis.hset(this.keys.apiKeys(), id, JSON.stringify(stored));
    return publicInfo(stored);
  }

  /** The key's identity when `raw` is the bootstrap key or a live stored key; otherwise undefined. */
  async verify(raw: string): Promise<AuthenticatedKey | undefined> {
    const digest = sha256(raw);
    if (timingSafeEqual(digest, this.bootstrapHash)) {
      return { id: BOOTSTRAP_KEY_ID, name: 'API_ADMIN_KEY', scopes: ['admin'] };
    }
    const id = KEY_FORMAT.exec(raw)?.[1];
    if (!id) return undefined;
    const stored = parseStored(await this.redis.hget(this.keys.apiKeys(), id));
    if (!stored || stored.revokedAt !== undefined) return undefined;
    const expected = Buffer.from(stored.hash, 'hex');
    if (expected.length !== digest.length || !timingSafeEqual(expected, digest)) return undefined;
    return { id: stored.id, name: stored.name, scopes: stored.scopes };
  }
}

function parseStored(raw: string | null | undefined): StoredKey | undefined {
  if (!raw) return undefined;
  try {
    const value = JSON.parse(raw) as StoredKey;
    return typeof value.id === 'string' && typeof value.hash === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function publicInfo(stored: StoredKey): ApiKeyInfo {
  return {
    id: stored.id,
    name: stored.name,
    scopes: stored.scopes,
    createdAt: stored.createdAt,
    ...(stored.revokedAt !== undefined ? { revokedAt: stored.revokedAt } : {}),
  };
}
