import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnvelopeKeyId, ValueCipher } from '@wafleet/auth-store';
import { closeRedis, createKeys, createRedis, type RedisClient } from '@wafleet/redis';
import { useRedis } from '@wafleet/test-support';
import type { CloudSessionConfig } from './cloud-session-config.schema.js';
import {
  CLOUD_SEEN_TTL_SECONDS,
  CLOUD_SENT_TTL_SECONDS,
  CloudSessionStore,
} from './cloud-session-store.js';
import { cloudApiErrors } from './errors.js';

const redis = useRedis();
const keys = createKeys('cs');
const cipher = new ValueCipher({ currentKeyId: 'k1', keys: new Map([['k1', randomBytes(32)]]) });

const ACCESS_TOKEN = 'EAAGplaintextAccessToken0123456789SECRET';
const APP_SECRET = 'appsecretPLAINTEXT0123456789abcd';
const VERIFY_TOKEN = 'verifyTOKENplaintext42';
const SECRETS = [ACCESS_TOKEN, APP_SECRET, VERIFY_TOKEN];

const full: CloudSessionConfig = {
  phoneNumberId: '106540352242922',
  wabaId: '102290129340398',
  accessToken: ACCESS_TOKEN,
  tokenType: 'user',
  appId: '1234567890',
  appSecret: APP_SECRET,
  webhookVerifyToken: VERIFY_TOKEN,
  graphVersion: 'v21.0',
  baseUrl: 'https://graph.facebook.com',
  tokenExpiresAt: 1_800_000_000_000,
};

/** Every value of every key in Redis, as raw bytes rendered to latin1 (no decoding tricks). */
async function allRawValues(): Promise<{ key: string; value: string }[]> {
  const client = redis.current.client;
  const out: { key: string; value: string }[] = [];
  let cursor = '0';
  do {
    const [next, found] = await client.scan(cursor, 'COUNT', 1000);
    cursor = next;
    for (const key of found) {
      const type = await client.type(key);
      if (type === 'string') {
        out.push({ key, value: (await client.getBuffer(key))!.toString('latin1') });
      } else if (type === 'hash') {
        const hash = await client.hgetallBuffer(key);
        for (const [field, value] of Object.entries(hash)) {
          out.push({ key: `${key}#${field}`, value: value.toString('latin1') });
        }
      } else {
        throw new Error(`unexpected ${type} key ${key}`);
      }
    }
  } while (cursor !== '0');
  return out;
}

async function error(run: () => Promise<unknown>) {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

describe('CloudSessionStore (real Redis)', () => {
  let client: RedisClient;
  let now = 1_700_000_000_000;
  let store: CloudSessionStore;

  beforeAll(() => {
    client = createRedis({ url: redis.current.url });
    store = new CloudSessionStore({ redis: client, keys, cipher, now: () => now });
  });
  afterAll(async () => {
    await closeRedis(client);
  });

  it('round-trips a full and a minimal configuration', async () => {
    await store.save('s1', full);
    expect(await store.load('s1')).toStrictEqual(full);
    const minimal: CloudSessionConfig = {
      phoneNumberId: '42',
      accessToken: 'EAAGminimal-token-000000000000',
      tokenType: 'system_user',
      graphVersion: 'v22.0',
      baseUrl: 'http://127.0.0.1:4010',
    };
    await store.save('s2', minimal);
    expect(await store.load('s2')).toStrictEqual(minimal);
    expect(await store.load('nobody')).toBeUndefined();
    expect(await store.view('nobody')).toBeUndefined();
  });

  it('replaces a configuration whole: fields left out are gone', async () => {
    await store.save('s1', full);
    const { appSecret: _s, webhookVerifyToken: _v, wabaId: _w, ...rest } = full;
    await store.save('s1', { ...rest, tokenType: 'system_user' });
    const loaded = await store.load('s1');
    expect(loaded).toStrictEqual({ ...rest, tokenType: 'system_user' });
    expect(await redis.current.client.hexists(keys.cloud('s1'), 'appSecret')).toBe(0);
  });

  it('stores no secret in plaintext anywhere in Redis', async () => {
    await store.save('s1', full);
    await store.save('s3', { ...full, phoneNumberId: '77' });
    const NEW_TOKEN = 'EAAGrefreshedPLAINTEXT0123456789xyz';
    await store.replaceToken('s3', NEW_TOKEN, { expiresAt: 1, refreshed: true });
    await store.recordTokenCheck('s1', { isValid: true, expiresAt: 0, checkedAt: now });
    await store.rememberSent('s1', '3EB0AAAAAAAAAAAAAAAAAA', 'wamid.HBgLabc=');
    await store.firstSeen('s1', 'wamid.in1');

    const values = await allRawValues();
    expect(values.length).toBeGreaterThan(10);
    for (const secret of [...SECRETS, NEW_TOKEN]) {
      const forms = [
        secret,
        Buffer.from(secret).toString('base64'),
        Buffer.from(secret).toString('hex'),
      ];
      for (const { key, value } of values) {
        for (const form of forms) {
          expect(value.includes(form), `${key} contains ${secret}`).toBe(false);
        }
      }
    }
    // The secret fields hold v1 envelopes (base64), decryptable only for their session and field.
    const hash = await redis.current.client.hgetall(keys.cloud('s1'));
    for (const field of ['accessToken', 'appSecret', 'webhookVerifyToken']) {
      expect(readEnvelopeKeyId(Buffer.from(hash[field]!, 'base64'))).toBe('k1');
    }
    expect((await store.load('s3'))?.accessToken).toBe(NEW_TOKEN);
  });

  it('refuses an envelope copied to another session or field', async () => {
    await store.save('s1', full);
    await store.save('s2', { ...full, accessToken: 'EAAGsecond-session-token-0000' });
    const raw = redis.current.client;
    const s1Token = await raw.hget(keys.cloud('s1'), 'accessToken');
    await raw.hset(keys.cloud('s2'), 'accessToken', s1Token!);
    const copied = await error(() => store.load('s2'));
    expect(cloudApiErrors.is(copied, 'CLOUD_SECRET_UNREADABLE')).toBe(true);
    expect((copied as Error).message).toMatch(/accessToken of session s2 cannot be decrypted/);
    await raw.hset(keys.cloud('s1'), 'appSecret', s1Token!);
    expect(cloudApiErrors.is(await error(() => store.load('s1')), 'CLOUD_SECRET_UNREADABLE')).toBe(
      true,
    );
  });

  it('views a session without secrets', async () => {
    await store.save('s1', full);
    await store.recordTokenCheck('s1', {
      isValid: false,
      expiresAt: 1_800_000_000_000,
      checkedAt: 1_700_000_001_000,
      error: 'debug_token says the token is not valid',
    });
    const view = await store.view('s1');
    expect(view).toStrictEqual({
      phoneNumberId: full.phoneNumberId,
      wabaId: full.wabaId,
      tokenType: 'user',
      appId: full.appId,
      graphVersion: 'v21.0',
      baseUrl: 'https://graph.facebook.com',
      hasAppSecret: true,
      hasVerifyToken: true,
      token: {
        expiresAt: 1_800_000_000_000,
        isValid: false,
        checkedAt: 1_700_000_001_000,
        refreshedAt: undefined,
        lastError: 'debug_token says the token is not valid',
      },
    });
    const json = JSON.stringify(view);
    for (const secret of SECRETS) expect(json).not.toContain(secret);
    await store.save('s2', {
      ...full,
      appSecret: undefined,
      webhookVerifyToken: undefined,
      tokenExpiresAt: undefined,
    });
    expect(await store.view('s2')).toMatchObject({
      hasAppSecret: false,
      hasVerifyToken: false,
      token: {
        expiresAt: undefined,
        isValid: undefined,
        checkedAt: undefined,
        refreshedAt: undefined,
      },
    });
  });

  /** Session s1 saved, with a failed token check on record (expiresAt 5, checkedAt 6). */
  async function saveWithFailedCheck(): Promise<void> {
    await store.save('s1', full);
    await store.recordTokenCheck('s1', {
      isValid: false,
      expiresAt: 5,
      checkedAt: 6,
      error: 'bad',
    });
  }

  it('replaces the token, clears the old check, and guards a refresh against a newer token', async () => {
    await saveWithFailedCheck();
    now = 1_700_000_050_000;
    expect(
      await store.replaceToken('s1', 'EAAGsecond-token-000000000000', {
        expiresAt: 1_900_000_000_000,
        refreshed: true,
      }),
    ).toBe(true);
    expect((await store.load('s1'))?.accessToken).toBe('EAAGsecond-token-000000000000');
    expect((await store.view('s1'))?.token).toStrictEqual({
      expiresAt: 1_900_000_000_000,
      isValid: undefined,
      checkedAt: undefined,
      refreshedAt: 1_700_000_050_000,
    });
    // An operator's replacement without expiry: expiry unknown, refreshedAt kept from before.
    await store.replaceToken('s1', 'EAAGoperator-token-0000000000');
    expect((await store.view('s1'))?.token.expiresAt).toBeUndefined();
    // A refresh computed from the second token must not overwrite the operator's token.
    expect(
      await store.replaceToken('s1', 'EAAGstale-refresh-00000000000', {
        refreshed: true,
        replaces: 'EAAGsecond-token-000000000000',
      }),
    ).toBe(false);
    expect((await store.load('s1'))?.accessToken).toBe('EAAGoperator-token-0000000000');
    expect(
      await store.replaceToken('s1', 'EAAGgood-refresh-000000000000', {
        refreshed: true,
        replaces: 'EAAGoperator-token-0000000000',
      }),
    ).toBe(true);
    expect((await store.load('s1'))?.accessToken).toBe('EAAGgood-refresh-000000000000');
  });

  it('patches some fields and keeps the rest; only a different token resets the check', async () => {
    await saveWithFailedCheck();
    await store.patch('s1', { graphVersion: 'v22.0', accessToken: full.accessToken });
    expect(await store.load('s1')).toStrictEqual({
      ...full,
      graphVersion: 'v22.0',
      tokenExpiresAt: 5,
    });
    expect((await store.view('s1'))?.token).toMatchObject({ isValid: false, checkedAt: 6 });
    await store.patch('s1', { accessToken: 'EAAGpatched-token-00000000000' });
    expect((await store.load('s1'))?.accessToken).toBe('EAAGpatched-token-00000000000');
    expect((await store.view('s1'))?.token).toStrictEqual({
      expiresAt: undefined,
      isValid: undefined,
      checkedAt: undefined,
      refreshedAt: undefined,
    });
    await expect(store.patch('nope', { graphVersion: 'v22.0' })).rejects.toMatchObject({
      code: 'CLOUD_SESSION_NOT_FOUND',
    });
  });

  it('never resurrects a deleted session through a token update', async () => {
    const missing = await error(() => store.replaceToken('gone', 'EAAGtoken-for-nobody-0000000'));
    expect(cloudApiErrors.is(missing, 'CLOUD_SESSION_NOT_FOUND')).toBe(true);
    const guarded = await error(() =>
      store.replaceToken('gone', 'EAAGx-000000000000000000', { replaces: 'y' }),
    );
    expect(cloudApiErrors.is(guarded, 'CLOUD_SESSION_NOT_FOUND')).toBe(true);
    await store.recordTokenCheck('gone', { isValid: true, expiresAt: 0, checkedAt: 1 });
    expect(await redis.current.client.exists(keys.cloud('gone'))).toBe(0);
  });

  it('reports a half-written configuration instead of guessing', async () => {
    await redis.current.client.hset(keys.cloud('s9'), 'tokenIsValid', '1');
    const corrupt = await error(() => store.load('s9'));
    expect(cloudApiErrors.is(corrupt, 'CLOUD_SESSION_CORRUPT')).toBe(true);
    expect((corrupt as Error).message).toMatch(/phoneNumberId, accessToken/);
  });

  it('indexes sent messages both ways for 30 days', async () => {
    const wamid = 'wamid.HBgLMTU1NTEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA';
    await store.rememberSent('s1', '3EB0ABCDEF0123456789AB', wamid);
    expect(await store.sentWamid('s1', '3EB0ABCDEF0123456789AB')).toBe(wamid);
    expect(await store.messageIdFor('s1', wamid)).toBe('3EB0ABCDEF0123456789AB');
    expect(await store.sentWamid('s1', '3EB0000000000000000000')).toBeUndefined();
    expect(await store.messageIdFor('s2', wamid)).toBeUndefined();
    const raw = redis.current.client;
    for (const key of [
      keys.cloudSent('s1', '3EB0ABCDEF0123456789AB'),
      keys.cloudWamid('s1', wamid),
    ]) {
      const ttl = await raw.ttl(key);
      expect(ttl).toBeGreaterThan(CLOUD_SENT_TTL_SECONDS - 60);
      expect(ttl).toBeLessThanOrEqual(CLOUD_SENT_TTL_SECONDS);
    }
  });

  it('dedupes webhook ids atomically, with a TTL, and can forget one', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.firstSeen('s1', 'wamid.dup')),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.firstSeen('s1', 'wamid.dup')).toBe(false);
    expect(await store.firstSeen('s2', 'wamid.dup')).toBe(true);
    const ttl = await redis.current.client.ttl(keys.cloudSeen('s1', 'wamid.dup'));
    expect(ttl).toBeGreaterThan(CLOUD_SEEN_TTL_SECONDS - 60);
    expect(await store.firstSeen('s1', 'wamid.short', 5)).toBe(true);
    expect(await redis.current.client.ttl(keys.cloudSeen('s1', 'wamid.short'))).toBeLessThanOrEqual(
      5,
    );
    await store.forgetSeen('s1', 'wamid.dup');
    expect(await store.firstSeen('s1', 'wamid.dup')).toBe(true);
  });

  it('deletes the configuration, index and markers of one session only', async () => {
    await store.save('s1', full);
    await store.save('s10', full);
    await store.rememberSent('s1', '3EB0ABCDEF0123456789AB', 'wamid.a');
    await store.firstSeen('s1', 'wamid.b');
    await store.rememberSent('s10', '3EB0ABCDEF0123456789AB', 'wamid.a');
    await store.delete('s1');
    expect(await store.load('s1')).toBeUndefined();
    expect(await store.sentWamid('s1', '3EB0ABCDEF0123456789AB')).toBeUndefined();
    expect(await store.messageIdFor('s1', 'wamid.a')).toBeUndefined();
    expect(await store.firstSeen('s1', 'wamid.b')).toBe(true);
    expect(await store.load('s10')).toStrictEqual(full);
    expect(await store.sentWamid('s10', '3EB0ABCDEF0123456789AB')).toBe('wamid.a');
  });
});
