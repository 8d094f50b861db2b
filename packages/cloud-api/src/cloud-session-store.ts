import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import type { ValueCipher } from '@wafleet/auth-store';
import type { Keys, RedisClient } from '@wafleet/redis';
import type { CloudSessionConfig } from './cloud-session-config.schema.js';
import { cloudApiErrors } from './errors.js';

/** A Cloud API session as operators may see it: every secret replaced by a `has…` flag. */
export interface CloudSessionView {
  phoneNumberId: string;
  wabaId?: string;
  tokenType: CloudSessionConfig['tokenType'];
  appId?: string;
  graphVersion: string;
  baseUrl: string;
  hasAppSecret: boolean;
  hasVerifyToken: boolean;
  token: CloudTokenStatus;
}

/** What wafleet knows about the session's access token (no token). */
export interface CloudTokenStatus {
  /** Epoch ms; 0 = never expires; undefined = unknown. */
  expiresAt: number | undefined;
  /** Result of the last check; undefined = never checked since the token was set. */
  isValid: boolean | undefined;
  checkedAt: number | undefined;
  refreshedAt: number | undefined;
  lastError?: string;
}

/** Options of {@link CloudSessionStore}. */
export interface CloudSessionStoreOptions {
  redis: RedisClient;
  keys: Keys;
  cipher: ValueCipher;
  /** Clock for `refreshedAt` (tests). Default `Date.now`. */
  now?: () => number;
}

/** A token check result, as the token keeper records it. */
export interface TokenCheck {
  isValid: boolean;
  /** Epoch ms; 0 = never. */
  expiresAt: number;
  checkedAt: number;
  error?: string;
}

/** The fields stored only as `ValueCipher` envelopes. */
type SecretField = 'accessToken' | 'appSecret' | 'webhookVerifyToken';
const SECRET_FIELDS: readonly SecretField[] = ['accessToken', 'appSecret', 'webhookVerifyToken'];
const PLAIN_FIELDS = [
  'phoneNumberId',
  'wabaId',
  'tokenType',
  'appId',
  'graphVersion',
  'baseUrl',
] as const;

/** How long the message id ↔ wamid index is kept: status webhooks for a message stop long before. */
export const CLOUD_SENT_TTL_SECONDS = 30 * 24 * 3600;
/** Default dedupe window for webhook ids: Meta retries failed deliveries for up to 7 days. */
export const CLOUD_SEEN_TTL_SECONDS = 7 * 24 * 3600;

const UPDATE = 'wafleetCloudUpdate';
const updateLua = readFileSync(new URL('./update-cloud-1.lua', import.meta.url), 'utf8');

interface CloudCommands {
  [UPDATE](key: string, ...args: string[]): Promise<number>;
}

function isCluster(redis: RedisClient): boolean {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/** Runs a MULTI and throws the first command error (ioredis resolves them as values). */
async function execAll(multi: {
  exec(): Promise<[Error | null, unknown][] | null>;
}): Promise<void> {
  const results = await multi.exec();
  if (results === null) throw new Error('Redis transaction was aborted');
  for (const [err] of results) if (err) throw err;
}

function optionalInt(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Cloud API sessions in Redis. One hash per session (`keys.cloud(id)`): plain config fields plus
 * the access token, app secret and webhook verify token as `ValueCipher` envelopes (base64),
 * bound to the session and field so a value copied elsewhere does not decrypt. Next to it, with
 * TTLs, the sent-message index (job message id ↔ wamid) and webhook dedupe markers.
 */
export class CloudSessionStore {
  private readonly redis: RedisClient;
  private readonly keys: Keys;
  private readonly cipher: ValueCipher;
  private readonly now: () => number;
  private readonly commands: CloudCommands;

  constructor(options: CloudSessionStoreOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.cipher = options.cipher;
    this.now = options.now ?? Date.now;
    // Redefining on a shared client is harmless: same name, same script.
    this.redis.defineCommand(UPDATE, { numberOfKeys: 1, lua: updateLua });
    this.commands = this.redis as unknown as CloudCommands;
  }

  private seal(sessionId: string, field: SecretField, value: string): string {
    return this.cipher
      .seal(sessionId, `cloud:${field}`, Buffer.from(value, 'utf8'))
      .toString('base64');
  }

  private open(sessionId: string, field: SecretField, stored: string): string {
    try {
      return this.cipher
        .open(sessionId, `cloud:${field}`, Buffer.from(stored, 'base64'))
        .toString('utf8');
    } catch (cause) {
      throw cloudApiErrors.create(
        'CLOUD_SECRET_UNREADABLE',
        { sessionId, field, reason: cause instanceof Error ? cause.message : String(cause) },
        { cause },
      );
    }
  }

  /**
   * Stores a session's configuration, replacing any previous one whole (fields left out are
   * removed, token check results reset: they were about the old configuration).
   */
  async save(sessionId: string, config: CloudSessionConfig): Promise<void> {
    const key = this.keys.cloud(sessionId);
    const fields: Record<string, string> = {
      phoneNumberId: config.phoneNumberId,
      tokenType: config.tokenType,
      graphVersion: config.graphVersion,
      baseUrl: config.baseUrl,
      accessToken: this.seal(sessionId, 'accessToken', config.accessToken),
      updatedAt: String(this.now()),
    };
    if (config.wabaId !== undefined) fields['wabaId'] = config.wabaId;
    if (config.appId !== undefined) fields['appId'] = config.appId;
    if (config.appSecret !== undefined) {
      fields['appSecret'] = this.seal(sessionId, 'appSecret', config.appSecret);
    }
    if (config.webhookVerifyToken !== undefined) {
      fields['webhookVerifyToken'] = this.seal(
        sessionId,
        'webhookVerifyToken',
        config.webhookVerifyToken,
      );
    }
    if (config.tokenExpiresAt !== undefined) {
      fields['tokenExpiresAt'] = String(config.tokenExpiresAt);
    }
    // One key, so one slot: MULTI is atomic on a Cluster too. Readers never see half a config.
    await execAll(this.redis.multi().del(key).hset(key, fields));
  }

  private async read(sessionId: string): Promise<Record<string, string> | undefined> {
    const hash = await this.redis.hgetall(this.keys.cloud(sessionId));
    if (Object.keys(hash).length === 0) return undefined;
    const missing = ['phoneNumberId', 'accessToken', 'tokenType', 'graphVersion', 'baseUrl'].filter(
      (f) => !hash[f],
    );
    if (missing.length > 0) {
      throw cloudApiErrors.create('CLOUD_SESSION_CORRUPT', {
        sessionId,
        missing: missing.join(', '),
      });
    }
    return hash;
  }

  /** The session's configuration with secrets decrypted, or undefined when it has none. */
  async load(sessionId: string): Promise<CloudSessionConfig | undefined> {
    const hash = await this.read(sessionId);
    if (hash === undefined) return undefined;
    const config: CloudSessionConfig = {
      phoneNumberId: hash['phoneNumberId'] as string,
      accessToken: this.open(sessionId, 'accessToken', hash['accessToken'] as string),
      tokenType: hash['tokenType'] === 'user' ? 'user' : 'system_user',
      graphVersion: hash['graphVersion'] as string,
      baseUrl: hash['baseUrl'] as string,
    };
    if (hash['wabaId']) config.wabaId = hash['wabaId'];
    if (hash['appId']) config.appId = hash['appId'];
    if (hash['appSecret']) config.appSecret = this.open(sessionId, 'appSecret', hash['appSecret']);
    if (hash['webhookVerifyToken']) {
      config.webhookVerifyToken = this.open(
        sessionId,
        'webhookVerifyToken',
        hash['webhookVerifyToken'],
      );
    }
    const expiresAt = optionalInt(hash['tokenExpiresAt']);
    if (expiresAt !== undefined) config.tokenExpiresAt = expiresAt;
    return config;
  }

  /** The session's configuration without secrets (nothing is decrypted), for APIs and UIs. */
  async view(sessionId: string): Promise<CloudSessionView | undefined> {
    const hash = await this.read(sessionId);
    if (hash === undefined) return undefined;
    const isValid = hash['tokenIsValid'];
    const token: CloudTokenStatus = {
      expiresAt: optionalInt(hash['tokenExpiresAt']),
      isValid: isValid === undefined ? undefined : isValid === '1',
      checkedAt: optionalInt(hash['tokenCheckedAt']),
      refreshedAt: optionalInt(hash['tokenRefreshedAt']),
    };
    if (hash['tokenLastError']) token.lastError = hash['tokenLastError'];
    return {
      phoneNumberId: hash['phoneNumberId'] as string,
      ...(hash['wabaId'] ? { wabaId: hash['wabaId'] } : {}),
      tokenType: hash['tokenType'] === 'user' ? 'user' : 'system_user',
      ...(hash['appId'] ? { appId: hash['appId'] } : {}),
      graphVersion: hash['graphVersion'] as string,
      baseUrl: hash['baseUrl'] as string,
      hasAppSecret: Boolean(hash['appSecret']),
      hasVerifyToken: Boolean(hash['webhookVerifyToken']),
      token,
    };
  }

  private async update(
    sessionId: string,
    set: Record<string, string>,
    del: string[],
    expectedSealedToken = '',
  ): Promise<number> {
    const pairs = Object.entries(set).flat();
    return this.commands[UPDATE](
      this.keys.cloud(sessionId),
      expectedSealedToken,
      String(pairs.length / 2),
      ...pairs,
      ...del,
    );
  }

  /**
   * Replaces the access token (an operator's new token, or a refresh). Clears the last check
   * (it was about the old token). With `replaces`, writes only while the stored token is still
   * that one, so a refresh racing an operator's replacement never overwrites the operator's token;
   * returns false when it did not write for that reason. Throws CLOUD_SESSION_NOT_FOUND.
   */
  async replaceToken(
    sessionId: string,
    token: string,
    meta: { expiresAt?: number; refreshed?: boolean; replaces?: string } = {},
  ): Promise<boolean> {
    let expected = '';
    if (meta.replaces !== undefined) {
      const stored = await this.redis.hget(this.keys.cloud(sessionId), 'accessToken');
      if (stored === null) throw cloudApiErrors.create('CLOUD_SESSION_NOT_FOUND', { sessionId });
      if (this.open(sessionId, 'accessToken', stored) !== meta.replaces) return false;
      expected = stored;
    }
    const set: Record<string, string> = {
      accessToken: this.seal(sessionId, 'accessToken', token),
      updatedAt: String(this.now()),
    };
    const del = ['tokenIsValid', 'tokenCheckedAt', 'tokenLastError'];
    if (meta.expiresAt !== undefined) set['tokenExpiresAt'] = String(meta.expiresAt);
    else del.push('tokenExpiresAt');
    if (meta.refreshed === true) set['tokenRefreshedAt'] = String(this.now());
    const reply = await this.update(sessionId, set, del, expected);
    if (reply === 0) throw cloudApiErrors.create('CLOUD_SESSION_NOT_FOUND', { sessionId });
    return reply === 1;
  }

  /**
   * Changes the given fields of a stored configuration and keeps the rest, token check results
   * included. A different access token resets them (and its expiry, unless given): they were
   * about the old token. Throws CLOUD_SESSION_NOT_FOUND.
   */
  async patch(sessionId: string, changes: Partial<CloudSessionConfig>): Promise<void> {
    const current = await this.load(sessionId);
    if (!current) throw cloudApiErrors.create('CLOUD_SESSION_NOT_FOUND', { sessionId });
    const set: Record<string, string> = { updatedAt: String(this.now()) };
    const del: string[] = [];
    for (const field of PLAIN_FIELDS) {
      const value = changes[field];
      if (value !== undefined) set[field] = value;
    }
    for (const field of SECRET_FIELDS) {
      const value = changes[field];
      if (value !== undefined && value !== current[field]) {
        set[field] = this.seal(sessionId, field, value);
      }
    }
    if (changes.tokenExpiresAt !== undefined)
      set['tokenExpiresAt'] = String(changes.tokenExpiresAt);
    if (set['accessToken'] !== undefined) {
      del.push('tokenIsValid', 'tokenCheckedAt', 'tokenLastError');
      if (changes.tokenExpiresAt === undefined) del.push('tokenExpiresAt');
    }
    const reply = await this.update(sessionId, set, del);
    if (reply === 0) throw cloudApiErrors.create('CLOUD_SESSION_NOT_FOUND', { sessionId });
  }

  /**
   * Records the result of a token check (validity, expiry, when, and the error if any). Does
   * nothing for a session that no longer exists.
   */
  async recordTokenCheck(sessionId: string, check: TokenCheck): Promise<void> {
    const set: Record<string, string> = {
      tokenIsValid: check.isValid ? '1' : '0',
      tokenExpiresAt: String(check.expiresAt),
      tokenCheckedAt: String(check.checkedAt),
    };
    const del: string[] = [];
    if (check.error !== undefined && check.error !== '') {
      set['tokenLastError'] = check.error.slice(0, 1000);
    } else {
      del.push('tokenLastError');
    }
    await this.update(sessionId, set, del);
  }

  /** Deletes the session's configuration and its sent index and dedupe markers. */
  async delete(sessionId: string): Promise<void> {
    const key = this.keys.cloud(sessionId);
    await this.redis.del(key);
    // The index and markers expire anyway; deleting them means a new session under the same id
    // starts clean. All share the session's hash tag, so on a Cluster they sit on one master.
    const pattern = `${key}:*`;
    const nodes: Redis[] = isCluster(this.redis)
      ? (this.redis as unknown as { nodes(role: 'master'): Redis[] }).nodes('master')
      : [this.redis as Redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        // The keys found share one slot, so a multi-key DEL is allowed on a Cluster as well.
        if (found.length > 0) await this.redis.del(...found);
      } while (cursor !== '0');
    }
  }

  /** Remembers which wamid a job's message id was sent as, both ways, for 30 days. */
  async rememberSent(sessionId: string, messageId: string, wamid: string): Promise<void> {
    await execAll(
      this.redis
        .multi()
        .set(this.keys.cloudSent(sessionId, messageId), wamid, 'EX', CLOUD_SENT_TTL_SECONDS)
        .set(this.keys.cloudWamid(sessionId, wamid), messageId, 'EX', CLOUD_SENT_TTL_SECONDS),
    );
  }

  /** The wamid a job's message id was sent as, if it was (within 30 days). */
  async sentWamid(sessionId: string, messageId: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.cloudSent(sessionId, messageId))) ?? undefined;
  }

  /** The job message id a wamid belongs to (for status webhooks), if known. */
  async messageIdFor(sessionId: string, wamid: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.cloudWamid(sessionId, wamid))) ?? undefined;
  }

  /**
   * True the first time an event id (a webhook message or status id) is seen within the TTL,
   * false for Meta's retries and duplicates. Atomic (SET NX EX).
   */
  async firstSeen(
    sessionId: string,
    eventId: string,
    ttlSeconds = CLOUD_SEEN_TTL_SECONDS,
  ): Promise<boolean> {
    const reply = await this.redis.set(
      this.keys.cloudSeen(sessionId, eventId),
      '1',
      'EX',
      ttlSeconds,
      'NX',
    );
    return reply === 'OK';
  }

  /** Forgets an event id, so Meta's retry is processed again (when handling it failed). */
  async forgetSeen(sessionId: string, eventId: string): Promise<void> {
    await this.redis.del(this.keys.cloudSeen(sessionId, eventId));
  }
}
