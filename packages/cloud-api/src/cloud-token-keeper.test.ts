import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ValueCipher } from '@wafleet/auth-store';
import { closeRedis, createKeys, createRedis, type RedisClient } from '@wafleet/redis';
import { useRedis } from '@wafleet/test-support';
import type { CloudSessionConfig } from './cloud-session-config.schema.js';
import { CloudSessionStore } from './cloud-session-store.js';
import { CloudTokenKeeper, type CloudTokenEvent } from './cloud-token-keeper.js';
import { startFakeGraph, type FakeGraph } from './fake/index.js';
import { GraphClient } from './graph-client.js';
import { buildGraphMessage } from './graph-message.js';

const redis = useRedis();
const keys = createKeys('tk');
const cipher = new ValueCipher({ currentKeyId: 'k1', keys: new Map([['k1', randomBytes(32)]]) });
const APP = { appId: '1234567890', appSecret: 'a3f1c2d4e5b6a7980123456789abcdef' };
const DAY = 86_400_000;
const PNID = '106540352242922';

describe('CloudTokenKeeper against the fake Graph API (real Redis)', () => {
  let fake: FakeGraph;
  let client: RedisClient;
  let store: CloudSessionStore;
  let events: CloudTokenEvent[];

  beforeAll(async () => {
    fake = await startFakeGraph({ app: APP });
    client = createRedis({ url: redis.current.url });
    store = new CloudSessionStore({ redis: client, keys, cipher });
  });
  afterAll(async () => {
    await fake.close();
    await closeRedis(client);
  });
  afterEach(() => {
    fake.requests.length = 0;
  });

  function config(token: string, extra: Partial<CloudSessionConfig> = {}): CloudSessionConfig {
    return {
      phoneNumberId: PNID,
      accessToken: token,
      tokenType: 'user',
      ...APP,
      graphVersion: 'v21.0',
      baseUrl: fake.url,
      ...extra,
    };
  }

  function keeper(sessionId: string): CloudTokenKeeper {
    events = [];
    return new CloudTokenKeeper({
      store,
      client: (baseUrl, version) => new GraphClient({ baseUrl, version }),
      sessionId,
      onEvent: (e) => events.push(e),
    });
  }

  const paths = () => fake.requests.map((r) => r.path);
  const types = () => events.map((e) => e.type);
  const noSecretsIn = (...secrets: string[]) => {
    const json = JSON.stringify(events);
    for (const s of [...secrets, APP.appSecret]) expect(json).not.toContain(s);
  };

  it('exchanges a user token near expiry and stores the fresh one', async () => {
    const old = 'EAAGuser-near-expiry-0123456789';
    const oldExpiry = Date.now() + 3 * DAY;
    fake.addToken(old, { type: 'USER', expiresAt: oldExpiry });
    fake.exchangeResult({
      accessToken: 'EAAGfresh-from-exchange-0123456789',
      expiresInSeconds: 60 * 86_400,
    });
    await store.save('u1', config(old));

    const before = Date.now();
    await keeper('u1').runOnce();

    expect(paths()).toEqual(['/v21.0/debug_token', '/v21.0/oauth/access_token']);
    expect(types()).toEqual(['token.checked', 'token.refreshed']);
    expect(events[0]!.data).toMatchObject({
      sessionId: 'u1',
      ok: true,
      isValid: true,
      tokenType: 'USER',
    });
    const loaded = await store.load('u1');
    expect(loaded?.accessToken).toBe('EAAGfresh-from-exchange-0123456789');
    expect(loaded?.tokenExpiresAt).toBeGreaterThanOrEqual(before + 60 * DAY);
    expect(events[1]!.data).toMatchObject({
      sessionId: 'u1',
      expiresAt: loaded?.tokenExpiresAt,
      previousExpiresAt: Math.floor(oldExpiry / 1000) * 1000,
    });
    expect((await store.view('u1'))?.token.refreshedAt).toBeGreaterThanOrEqual(before);
    noSecretsIn(old, 'EAAGfresh-from-exchange-0123456789');

    // The stored token is one Graph accepts.
    const graph = new GraphClient({ baseUrl: fake.url, version: 'v21.0' });
    const body = buildGraphMessage({
      to: '15551234567@s.whatsapp.net',
      content: { type: 'text', text: 'hi' },
    });
    await expect(graph.sendMessage(loaded!.accessToken, PNID, body)).resolves.toHaveProperty(
      'wamid',
    );

    // A second pass finds the fresh token far from expiry: checked only.
    fake.requests.length = 0;
    const again = keeper('u1');
    await again.runOnce();
    expect(types()).toEqual(['token.checked']);
    expect(paths()).toEqual(['/v21.0/debug_token']);
    fake.exchangeResult({});
  });

  it('keeps the old token when the exchange fails and says so', async () => {
    const old = 'EAAGuser-exchange-fails-0123456';
    fake.addToken(old, { type: 'USER', expiresAt: Date.now() + 2 * DAY });
    await store.save('u2', config(old));
    fake.failExchange(1, {
      graphCode: 190,
      message: 'Error validating access token: Session has expired.',
    });

    await keeper('u2').runOnce();

    expect(types()).toEqual(['token.checked', 'token.refresh_failed', 'token.expiring']);
    expect(events[1]!.data).toMatchObject({
      sessionId: 'u2',
      error: expect.stringMatching(
        /^Graph error 190 \(HTTP 400, subcode 463\): Error validating access token/,
      ),
      graphCode: 190,
      httpStatus: 400,
    });
    expect(events[2]!.data['remainingMs']).toBeLessThanOrEqual(2 * DAY);
    expect((await store.load('u2'))?.accessToken).toBe(old);
    expect((await store.view('u2'))?.token.refreshedAt).toBeUndefined();
    noSecretsIn(old);
  });

  it('reports an invalid (revoked) token and does not try to exchange it', async () => {
    const revoked = 'EAAGuser-revoked-by-user-012345';
    fake.addToken(revoked, { type: 'USER', expiresAt: Date.now() + 2 * DAY });
    fake.revokeToken(revoked);
    await store.save('u3', config(revoked));

    await keeper('u3').runOnce();

    expect(types()).toEqual(['token.checked', 'token.invalid']);
    expect(events[0]!.data).toMatchObject({ ok: true, isValid: false });
    expect(events[1]!.data).toMatchObject({ sessionId: 'u3', reason: 'debug_token' });
    expect(paths()).toEqual(['/v21.0/debug_token']);
    const view = await store.view('u3');
    expect(view?.token).toMatchObject({
      isValid: false,
      lastError: 'debug_token says the token is not valid',
    });
    expect(view?.token.checkedAt).toBeGreaterThan(0);
    noSecretsIn(revoked);
  });

  it('only checks a system-user token, even close to expiry (and warns)', async () => {
    const system = 'EAAGsystem-user-token-0123456789';
    fake.addToken(system, { type: 'SYSTEM_USER', expiresAt: 0 });
    await store.save('s1', config(system, { tokenType: 'system_user' }));
    await keeper('s1').runOnce();
    expect(types()).toEqual(['token.checked']);
    expect(events[0]!.data).toMatchObject({
      isValid: true,
      expiresAt: 0,
      tokenType: 'SYSTEM_USER',
    });
    expect(paths()).toEqual(['/v21.0/debug_token']);
    expect((await store.view('s1'))?.token).toMatchObject({ isValid: true, expiresAt: 0 });

    fake.requests.length = 0;
    const expiring = 'EAAGsystem-user-expiring-012345';
    fake.addToken(expiring, { type: 'SYSTEM_USER', expiresAt: Date.now() + DAY });
    await store.save('s2', config(expiring, { tokenType: 'system_user' }));
    await keeper('s2').runOnce();
    expect(types()).toEqual(['token.checked', 'token.expiring']);
    expect(paths()).toEqual(['/v21.0/debug_token']);
    expect((await store.load('s2'))?.accessToken).toBe(expiring);
  });

  it('plans on the stored expiry when there are no app credentials or Graph does not answer', async () => {
    // No app id/secret: nothing to ask; a stored expiry in the past makes the token invalid.
    await store.save('n1', {
      ...config('EAAGno-app-credentials-0123456'),
      tokenType: 'system_user',
      appId: undefined,
      appSecret: undefined,
      tokenExpiresAt: Date.now() - 1000,
    });
    await keeper('n1').runOnce();
    expect(fake.requests).toHaveLength(0);
    expect(types()).toEqual(['token.invalid']);
    expect(events[0]!.data).toMatchObject({ reason: 'expired' });
    expect((await store.view('n1'))?.token).toMatchObject({
      isValid: false,
      lastError: expect.stringMatching(/^the token expired at /),
    });

    // debug_token fails: reported, and the stored expiry still drives a refresh.
    const user = 'EAAGuser-debug-down-0123456789';
    fake.addToken(user, { type: 'USER', expiresAt: Date.now() + DAY });
    await store.save('n2', config(user, { tokenExpiresAt: Date.now() + DAY }));
    fake.failNext(1, { ops: ['debug'], httpStatus: 500, message: 'An unknown error occurred' });
    await keeper('n2').runOnce();
    expect(types()).toEqual(['token.checked', 'token.refreshed']);
    expect(events[0]!.data).toMatchObject({ ok: false, httpStatus: 500, graphCode: 1 });
    expect((await store.load('n2'))?.accessToken).not.toBe(user);
  });

  it('does nothing for a session without Cloud configuration', async () => {
    await keeper('nobody').runOnce();
    expect(events).toEqual([]);
    expect(fake.requests).toHaveLength(0);
  });
});
