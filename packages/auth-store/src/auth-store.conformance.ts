import { randomBytes } from 'node:crypto';
import type { EncryptionKeyring } from '@wafleet/core';
import {
  addTransactionCapability,
  initAuthCreds,
  makeCacheableSignalKeyStore,
  proto,
  type AuthenticationCreds,
  type SignalDataTypeMap,
} from '@whiskeysockets/baileys';
import Long from 'long';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AuthStateStore,
  AuthStateStoreOptions,
  AuthStoreOp,
  SessionAuthState,
} from './auth-state-store.js';
import { AuthStateKeyError, authStoreErrors, FencedOutError } from './errors.js';
import { readEnvelopeKeyId } from './value-cipher.js';

/** A stored location: `creds`, or a signal key field `<type>:<id>`. */
export interface RawLocation {
  sessionId: string;
  field: string;
}

/** What a backend's test file provides so the shared suite can run against it. */
export interface AuthStoreHarness {
  /** A new store over the same storage, as a restarted process would build it. */
  createStore(options: AuthStateStoreOptions): AuthStateStore;
  /** What a lease acquisition does: increment the session's fence counter; returns the new value. */
  advanceFence(sessionId: string): Promise<number>;
  /** Every stored byte string (values, fields, files), as raw bytes. */
  rawValues(): Promise<Buffer[]>;
  /** One session's raw storage, by location name, to compare byte for byte. */
  rawSession(sessionId: string): Promise<Map<string, Buffer>>;
  /** Copies the stored (encrypted) bytes of one location to another, as an attacker could. */
  copyRaw(from: RawLocation, to: RawLocation): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/** Bytes that break naive codecs: NUL, 0xFF, invalid UTF-8 sequences, a UTF-16 surrogate. */
const NASTY = [0x00, 0xff, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0xf0, 0x28, 0x8c, 0xbc];
const NASTY_TAIL = [0xed, 0xa0, 0x80, 0xfe, 0xfd, 0x00, 0x00];

/** `size` random bytes framed by every nasty byte sequence (so always unique, and 20 bytes longer). */
export function nastyBuffer(size: number): Buffer {
  return Buffer.concat([
    Buffer.from(NASTY),
    randomBytes(Math.max(size, 8)),
    Buffer.from(NASTY_TAIL),
  ]);
}

/** A plain Uint8Array (not a Buffer) with the same kind of content. */
export function nastyBytes(size: number): Uint8Array {
  return new Uint8Array(nastyBuffer(size));
}

function keyring(entries: [id: string, key: Buffer][]): EncryptionKeyring {
  const first = entries[0];
  if (!first) throw new Error('keyring needs a key');
  return { currentKeyId: first[0], keys: new Map(entries) };
}

const K1 = randomBytes(32);
const K2 = randomBytes(32);

/** Creds as a paired device has them: Baileys' own initAuthCreds() plus what pairing adds. */
function pairedCreds(): AuthenticationCreds {
  const creds = initAuthCreds();
  creds.me = {
    id: '4915112345678:12@s.whatsapp.net',
    lid: '98765432101234:12@lid',
    name: 'Büro ☎',
  };
  creds.account = proto.ADVSignedDeviceIdentity.create({
    details: nastyBytes(60),
    accountSignatureKey: nastyBytes(32),
    accountSignature: nastyBytes(64),
    deviceSignature: nastyBytes(64),
  });
  creds.signalIdentities = [
    {
      identifier: { name: '4915112345678:12@s.whatsapp.net', deviceId: 0 },
      identifierKey: nastyBuffer(33),
    },
    { identifier: { name: '98765432101234:12@lid', deviceId: 0 }, identifierKey: nastyBytes(33) },
  ];
  creds.myAppStateKeyId = 'AAAAAAnl';
  creds.platform = 'smba';
  creds.lastAccountSyncTimestamp = 1_700_000_000;
  creds.routingInfo = nastyBuffer(24);
  creds.registered = true;
  creds.lastPropHash = '3gzXWm';
  creds.processedHistoryMessages = [
    {
      key: { remoteJid: '4915112345678@s.whatsapp.net', fromMe: true, id: '3EB0C0FFEE' },
      // Decoded, as Baileys gets it: a Long of the class its protobuf code uses.
      messageTimestamp: proto.WebMessageInfo.decode(
        proto.WebMessageInfo.encode({
          key: { id: 'x' },
          messageTimestamp: 1_700_000_123,
        }).finish(),
      ).messageTimestamp,
    },
  ];
  creds.accountSettings = {
    unarchiveChats: true,
    defaultDisappearingMode: { ephemeralExpiration: 604800, ephemeralSettingTimestamp: 0 },
  };
  creds.additionalData = { note: { $: 'a "$" key of its own', 0: 1, 1: 2 }, nan: NaN, neg0: -0 };
  return creds;
}

/** A decoded protobuf, as Baileys stores it: a class instance with Buffer and Long fields. */
function appStateSyncKey(): proto.Message.IAppStateSyncKeyData {
  const encoded = proto.Message.AppStateSyncKeyData.encode({
    keyData: nastyBuffer(32),
    fingerprint: { rawId: 7, currentIndex: 2, deviceIndexes: [0, 1, 24] },
    timestamp: 1_700_000_000_123,
  }).finish();
  return proto.Message.AppStateSyncKeyData.decode(encoded);
}

type Samples = { [T in keyof SignalDataTypeMap]: Record<string, SignalDataTypeMap[T]> };

/**
 * A value of every type in Baileys rc14's SignalDataTypeMap. The mapped type makes this fail to
 * compile when Baileys adds a type, so the round trip below keeps covering all of them.
 */
export function signalSamples(): Samples {
  return {
    'pre-key': {
      '1': { public: nastyBuffer(33), private: nastyBuffer(32) },
      '2': { public: nastyBytes(33), private: nastyBytes(32) },
    },
    session: {
      '4915112345678.0': nastyBuffer(1200),
      '98765432101234_1.12': nastyBytes(900),
    },
    'sender-key': {
      '120363025246125486@g.us::4915112345678::0': nastyBuffer(300),
      '120363025246125487@g.us::98765432101234_1::12': nastyBytes(300),
    },
    'sender-key-memory': {
      '120363025246125486@g.us': { '4915112345678:0@s.whatsapp.net': true, 'x:1@lid': false },
    },
    'app-state-sync-key': { AAAAAAnl: appStateSyncKey() },
    'app-state-sync-version': {
      regular_high: {
        version: 42,
        hash: nastyBuffer(128),
        indexValueMap: {
          'q2w3e4r5t6y7u8i9o0p=': { valueMac: nastyBytes(32) },
          'zxcvbnm/asdfghjkl+==': { valueMac: nastyBuffer(32) },
        },
      },
    },
    'lid-mapping': { '4915112345678': '98765432101234', '98765432101234_reverse': '4915112345678' },
    'device-list': { '4915112345678': ['0', '12', '24'] },
    tctoken: {
      '4915112345678@s.whatsapp.net': {
        token: nastyBuffer(20),
        timestamp: '1700000000',
        senderTimestamp: undefined,
      },
    },
    'identity-key': { '4915112345678.0': nastyBytes(33), '98765432101234_1.0': nastyBuffer(33) },
  };
}

/**
 * What a value looks like after a round trip: class instances (protobuf messages) become plain
 * objects with the same own fields; Buffer, Uint8Array and Long keep their class.
 */
export function plain(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Uint8Array || Long.isLong(value)) return value;
  if (Array.isArray(value)) return value.map(plain);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) out[key] = plain((value as Record<string, unknown>)[key]);
  return out;
}

/** Every binary leaf of a value: path → class name and bytes. */
function binaryLeaves(
  value: unknown,
  path = '',
  out = new Map<string, string>(),
): Map<string, string> {
  if (value instanceof Uint8Array) {
    const kind = Buffer.isBuffer(value)
      ? 'Buffer'
      : Object.getPrototypeOf(value) === Uint8Array.prototype
        ? 'Uint8Array'
        : 'other';
    out.set(path, `${kind}:${Buffer.from(value).toString('hex')}`);
  } else if (value !== null && typeof value === 'object' && !Long.isLong(value)) {
    for (const key of Object.keys(value)) {
      binaryLeaves((value as Record<string, unknown>)[key], `${path}.${key}`, out);
    }
  }
  return out;
}

/** Baileys' ILogger (not exported from its index), silenced. */
type BaileysLogger = Parameters<typeof addTransactionCapability>[1];
const silentLogger: BaileysLogger = {
  level: 'silent',
  child: () => silentLogger,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

async function expectRejects<E>(
  promise: Promise<unknown>,
  type: new (...a: never[]) => E,
): Promise<E> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(type);
  return caught as E;
}

// ---------------------------------------------------------------------------------------------
// The suite

/**
 * The behaviour every {@link AuthStateStore} backend must have. Each backend's test file calls
 * this once with a harness factory; backend-specific facts (Redis command counts, file layout)
 * are tested next to it.
 */
export function runAuthStoreConformance(
  name: string,
  makeHarness: () => AuthStoreHarness | Promise<AuthStoreHarness>,
): void {
  describe(`AuthStateStore conformance: ${name}`, () => {
    let h: AuthStoreHarness;
    const ring1 = keyring([['k1', K1]]);

    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.close();
    });

    async function openFresh(
      sessionId: string,
      store = h.createStore({ keyring: ring1 }),
      fence = 0,
    ): Promise<SessionAuthState> {
      return store.open(sessionId, { fence });
    }

    describe('creds', () => {
      it('opens an unknown session with fresh initAuthCreds() and stores nothing until saveCreds', async () => {
        const store = h.createStore({ keyring: ring1 });
        const auth = await store.open('s1', { fence: 0 });
        expect(auth.state.creds.registered).toBe(false);
        expect(Buffer.isBuffer(auth.state.creds.noiseKey.private)).toBe(true);
        expect(auth.state.creds.noiseKey.private).toHaveLength(32);
        expect(await store.exists('s1')).toBe(false);
        const again = await store.open('s1', { fence: 0 });
        expect(again.state.creds.noiseKey.private).not.toEqual(auth.state.creds.noiseKey.private);
        await auth.saveCreds();
        expect(await store.exists('s1')).toBe(true);
        expect(await store.exists('s2')).toBe(false);
      });

      it('round-trips paired creds byte-exactly, Buffer as Buffer and Uint8Array as Uint8Array', async () => {
        const auth = await openFresh('s1');
        const creds = pairedCreds();
        Object.assign(auth.state.creds, creds);
        await auth.saveCreds();

        const reopened = await openFresh('s1');
        const back = reopened.state.creds;
        expect(back).toStrictEqual(plain(creds));
        expect(binaryLeaves(back)).toEqual(binaryLeaves(creds));
        expect(binaryLeaves(back).size).toBeGreaterThanOrEqual(15);
        // Baileys re-encodes `account` when it signs device identities: the bytes must match.
        const reencoded = proto.ADVSignedDeviceIdentity.encode(back.account!).finish();
        expect(Buffer.from(reencoded)).toEqual(
          Buffer.from(proto.ADVSignedDeviceIdentity.encode(creds.account!).finish()),
        );
        expect(Long.isLong(back.processedHistoryMessages[0]?.messageTimestamp)).toBe(true);
        expect(Object.is((back.additionalData as { neg0: number }).neg0, -0)).toBe(true);
        expect('pairingCode' in back && back.pairingCode === undefined).toBe(true);
      });

      it('saves the creds object as it is at the time of the call', async () => {
        const auth = await openFresh('s1');
        auth.state.creds.nextPreKeyId = 31;
        await auth.saveCreds();
        auth.state.creds.nextPreKeyId = 62;
        await auth.saveCreds();
        expect((await openFresh('s1')).state.creds.nextPreKeyId).toBe(62);
      });
    });

    describe('signal keys', () => {
      it('round-trips every SignalDataTypeMap type byte-exactly, from storage', async () => {
        const samples = signalSamples();
        const auth = await openFresh('s1');
        await auth.state.keys.set(samples);

        // A new store instance: nothing can come from memory.
        const reader = await openFresh('s1');
        for (const type of Object.keys(samples) as (keyof SignalDataTypeMap)[]) {
          const expected = samples[type];
          const got = await reader.state.keys.get(type, Object.keys(expected));
          expect(got, type).toStrictEqual(plain(expected));
          expect(binaryLeaves(got), type).toEqual(binaryLeaves(expected));
        }
        const sk = await reader.state.keys.get('app-state-sync-key', ['AAAAAAnl']);
        expect(Long.isLong(sk.AAAAAAnl?.timestamp)).toBe(true);
        const tc = await reader.state.keys.get('tctoken', ['4915112345678@s.whatsapp.net']);
        expect(Object.keys(tc['4915112345678@s.whatsapp.net']!)).toContain('senderTimestamp');
      });

      it('omits ids that are not stored and returns ids as given, even odd ones', async () => {
        const auth = await openFresh('s1');
        const odd = ['a:b:c', '__proto__', 'ünï☃', '', 'constructor', '$'];
        const data: Record<string, Uint8Array> = {};
        for (const [i, id] of odd.entries()) {
          // Plain assignment would turn a "__proto__" id into a prototype.
          Object.defineProperty(data, id, {
            value: nastyBuffer(10 + i),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        await auth.state.keys.set({ session: data });
        const got = await (await openFresh('s1')).state.keys.get('session', [...odd, 'missing']);
        expect(Object.keys(got).sort()).toEqual([...odd].sort());
        expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
        for (const id of odd) expect(Buffer.compare(got[id]!, data[id]!), id).toBe(0);
        expect(await auth.state.keys.get('pre-key', ['1'])).toEqual({});
      });

      it('deletes on null or undefined, applied together with puts of the same call', async () => {
        const auth = await openFresh('s1');
        await auth.state.keys.set({
          session: { a: nastyBuffer(10), b: nastyBuffer(10), c: nastyBuffer(10) },
          'pre-key': { '1': { public: nastyBuffer(33), private: nastyBuffer(32) } },
        });
        const d = nastyBuffer(12);
        await auth.state.keys.set({
          session: { a: null, b: undefined as unknown as null, d },
          'pre-key': { '1': null },
        });
        const reader = await openFresh('s1');
        expect(
          Object.keys(await reader.state.keys.get('session', ['a', 'b', 'c', 'd'])).sort(),
        ).toEqual(['c', 'd']);
        expect(await reader.state.keys.get('pre-key', ['1'])).toEqual({});
      });

      it('keeps call order for writes issued without waiting, and loses none of many parallel calls', async () => {
        const auth = await openFresh('s1');
        const v1 = nastyBuffer(8);
        const v2 = nastyBuffer(8);
        const v3 = nastyBuffer(8);
        const writes = [v1, v2, v3].map((v) => auth.state.keys.set({ session: { same: v } }));
        const parallel = Array.from({ length: 40 }, (_, i) =>
          auth.state.keys.set({
            session: { [`p${i}a`]: nastyBuffer(20), [`p${i}b`]: nastyBuffer(20) },
            'sender-key': { [`g${i}`]: nastyBytes(20) },
          }),
        );
        await Promise.all([...writes, ...parallel]);
        const reader = await openFresh('s1');
        expect((await reader.state.keys.get('session', ['same'])).same).toEqual(v3);
        const ids = Array.from({ length: 40 }, (_, i) => [`p${i}a`, `p${i}b`]).flat();
        expect(Object.keys(await reader.state.keys.get('session', ids))).toHaveLength(80);
        const groups = Array.from({ length: 40 }, (_, i) => `g${i}`);
        expect(Object.keys(await reader.state.keys.get('sender-key', groups))).toHaveLength(40);
      });

      it('never lets a caller mutate stored or cached values through a returned object', async () => {
        const store = h.createStore({ keyring: ring1, cacheBytes: 1 << 20 });
        const auth = await store.open('s1', { fence: 0 });
        await auth.state.keys.set({ 'device-list': { u: ['0', '1'] } });
        const first = await auth.state.keys.get('device-list', ['u']);
        first.u!.push('99');
        expect((await auth.state.keys.get('device-list', ['u'])).u).toEqual(['0', '1']);
      });
    });

    describe('encryption at rest', () => {
      it('stores no plaintext key material', async () => {
        const auth = await openFresh('s1');
        Object.assign(auth.state.creds, pairedCreds());
        await auth.saveCreds();
        const samples = signalSamples();
        await auth.state.keys.set(samples);
        const { creds } = auth.state;
        const needles: [string, Uint8Array][] = [
          ['noise private', creds.noiseKey.private],
          ['noise public', creds.noiseKey.public],
          ['identity private', creds.signedIdentityKey.private],
          ['identity public', creds.signedIdentityKey.public],
          ['signed pre-key private', creds.signedPreKey.keyPair.private],
          ['adv secret', Buffer.from(creds.advSecretKey, 'base64')],
          ['pre-key private', samples['pre-key']['1']!.private],
          ['session record', samples.session['4915112345678.0']!.subarray(0, 64)],
        ];
        const raw = await h.rawValues();
        expect(raw.length).toBeGreaterThan(0);
        for (const value of raw) {
          for (const [what, needle] of needles) {
            const bytes = Buffer.from(needle);
            for (const form of [
              bytes,
              Buffer.from(bytes.toString('base64')),
              Buffer.from(bytes.toString('hex')),
            ]) {
              expect(value.includes(form), `${what} found in storage`).toBe(false);
            }
          }
          expect(value.includes(Buffer.from(creds.advSecretKey)), 'adv secret (base64)').toBe(
            false,
          );
        }
      });

      it('rotates keys: written with k1, read with [k2, k1], new writes use k2', async () => {
        const a1 = await openFresh('s1', h.createStore({ keyring: ring1 }));
        await a1.saveCreds();
        await a1.state.keys.set({ session: { old: nastyBuffer(30) } });
        const keyIds = async () => (await h.rawValues()).map(readEnvelopeKeyId).filter(Boolean);
        expect(new Set(await keyIds())).toEqual(new Set(['k1']));

        const rotated = h.createStore({
          keyring: keyring([
            ['k2', K2],
            ['k1', K1],
          ]),
        });
        const a2 = await rotated.open('s1', { fence: 0 });
        expect(a2.state.creds.noiseKey.private).toEqual(a1.state.creds.noiseKey.private);
        expect((await a2.state.keys.get('session', ['old'])).old).toBeDefined();
        await a2.saveCreds();
        await a2.state.keys.set({ session: { new: nastyBuffer(30) } });
        const raw = await h.rawSession('s1');
        expect(readEnvelopeKeyId(raw.get('creds')!)).toBe('k2');
        expect(readEnvelopeKeyId(raw.get('session:new')!)).toBe('k2');
        expect(readEnvelopeKeyId(raw.get('session:old')!)).toBe('k1');

        // Once k1 is dropped, what only k1 encrypted is refused, naming the key and the variable.
        const k2Only = h.createStore({ keyring: keyring([['k2', K2]]) });
        const a3 = await k2Only.open('s1', { fence: 0 });
        const err = await expectRejects(
          a3.state.keys.get('session', ['old', 'new']),
          AuthStateKeyError,
        );
        expect(err.code).toBe('AUTH_KEY_MISSING');
        expect(err.keyId).toBe('k1');
        expect(err.message).toContain('ENCRYPTION_KEYS');
        expect(err.message).toContain('"k1"');
        expect((await a3.state.keys.get('session', ['new'])).new).toBeDefined();
      });

      it('refuses creds whose key id is missing, or that do not decrypt with the key of that id', async () => {
        const auth = await openFresh('s1');
        await auth.saveCreds();
        const missing = await expectRejects(
          h.createStore({ keyring: keyring([['k2', K2]]) }).open('s1', { fence: 0 }),
          AuthStateKeyError,
        );
        expect(missing.code).toBe('AUTH_KEY_MISSING');
        expect(missing.sessionId).toBe('s1');
        expect(missing.message).toMatch(/"k1".*ENCRYPTION_KEYS/);
        expect(authStoreErrors.is(missing, 'AUTH_KEY_MISSING')).toBe(true);

        const wrong = await expectRejects(
          h.createStore({ keyring: keyring([['k1', K2]]) }).open('s1', { fence: 0 }),
          AuthStateKeyError,
        );
        expect(wrong.code).toBe('AUTH_DECRYPT_FAILED');
        expect(wrong.message).toContain('ENCRYPTION_KEYS');
        expect(wrong.message).toContain('"k1"');
        // The stored creds are left alone: the operator fixes the key, nothing re-pairs.
        expect(await h.createStore({ keyring: ring1 }).exists('s1')).toBe(true);
      });

      it('refuses a store whose current key is not in the keyring', () => {
        expect(() =>
          h.createStore({ keyring: { currentKeyId: 'k9', keys: new Map([['k1', K1]]) } }),
        ).toThrow(AuthStateKeyError);
      });

      it('binds each value to its session and field: a copied value does not decrypt', async () => {
        const a = await openFresh('s1');
        await a.saveCreds();
        await a.state.keys.set({ session: { one: nastyBuffer(30) } });
        const b = await openFresh('s2');
        await b.saveCreds();

        await h.copyRaw({ sessionId: 's1', field: 'creds' }, { sessionId: 's2', field: 'creds' });
        await h.copyRaw(
          { sessionId: 's1', field: 'session:one' },
          { sessionId: 's1', field: 'session:two' },
        );
        await h.copyRaw(
          { sessionId: 's1', field: 'session:one' },
          { sessionId: 's2', field: 'session:one' },
        );
        const store = h.createStore({ keyring: ring1 });
        const moved = await expectRejects(store.open('s2', { fence: 0 }), AuthStateKeyError);
        expect(moved.code).toBe('AUTH_DECRYPT_FAILED');
        const s1 = await store.open('s1', { fence: 0 });
        expect((await s1.state.keys.get('session', ['one'])).one).toBeDefined();
        const renamed = await expectRejects(
          s1.state.keys.get('session', ['two']),
          AuthStateKeyError,
        );
        expect(renamed.code).toBe('AUTH_DECRYPT_FAILED');
      });
    });

    describe('fenced writes', () => {
      it('works with a fixed fence 0 and no counter (single process)', async () => {
        const auth = await openFresh('s1');
        await auth.saveCreds();
        await auth.state.keys.set({ session: { a: nastyBuffer(5) } });
        await auth.wipe();
        expect(auth.fencedOut).toBeUndefined();
      });

      it('refuses every write of a zombie once a newer fence is stored, and keeps the owner data', async () => {
        const f1 = await h.advanceFence('s1');
        expect(f1).toBe(1);
        const calls: FencedOutError[] = [];
        const store = h.createStore({ keyring: ring1 });
        const zombie = await store.open('s1', { fence: f1, onFencedOut: (e) => calls.push(e) });
        await zombie.saveCreds();
        await zombie.state.keys.set({ session: { a: nastyBuffer(5) } });

        const f2 = await h.advanceFence('s1');
        const owner = await store.open('s1', { fence: f2 });
        const ownerValue = nastyBuffer(6);
        await owner.state.keys.set({ session: { a: ownerValue } });
        owner.state.creds.nextPreKeyId = 500;
        await owner.saveCreds();

        zombie.state.creds.nextPreKeyId = 7;
        const e1 = await expectRejects(zombie.saveCreds(), FencedOutError);
        expect(e1.code).toBe('FENCED_OUT');
        expect(e1).toMatchObject({ sessionId: 's1', writerFence: 1, storedFence: 2 });
        expect(e1.message).toMatch(/fence 1 .*stored fence 2/);
        expect(authStoreErrors.is(e1, 'FENCED_OUT')).toBe(true);
        const e2 = await expectRejects(
          zombie.state.keys.set({ session: { a: nastyBuffer(7), b: nastyBuffer(7) } }),
          FencedOutError,
        );
        expect(e2).toBe(e1);
        await expectRejects(zombie.wipe(), FencedOutError);
        expect(zombie.fencedOut).toBe(e1);
        expect(calls).toEqual([e1]);

        const reader = await openFresh('s1');
        expect(reader.state.creds.nextPreKeyId).toBe(500);
        const got = await reader.state.keys.get('session', ['a', 'b']);
        expect(Object.keys(got)).toEqual(['a']);
        expect(got.a).toEqual(ownerValue);
        // The owner itself is unaffected.
        await owner.state.keys.set({ session: { c: nastyBuffer(3) } });
      });

      it('refuses only when the stored fence is greater: equal and newer writers pass', async () => {
        await h.advanceFence('s1');
        await h.advanceFence('s1');
        const store = h.createStore({ keyring: ring1 });
        await (await store.open('s1', { fence: 2 })).saveCreds();
        await (await store.open('s1', { fence: 5 })).saveCreds();
        const stale = await store.open('s1', { fence: 1 });
        const err = await expectRejects(
          stale.state.keys.set({ session: { x: nastyBuffer(3) } }),
          FencedOutError,
        );
        expect(err).toMatchObject({ writerFence: 1, storedFence: 2 });
        // Without a counter, fence 0 writes; with one at 1, fence 0 is a zombie.
        await (await store.open('s2', { fence: 0 })).saveCreds();
        await h.advanceFence('s2');
        await expectRejects((await store.open('s2', { fence: 0 })).saveCreds(), FencedOutError);
      });

      it('surfaces a refusal through Baileys makeCacheableSignalKeyStore and addTransactionCapability', async () => {
        const store = h.createStore({ keyring: ring1 });
        const auth = await store.open('s1', { fence: await h.advanceFence('s1') });
        const cached = makeCacheableSignalKeyStore(auth.state.keys, silentLogger);
        const tx = addTransactionCapability(cached, silentLogger, {
          maxCommitRetries: 2,
          delayBetweenTriesMs: 1,
        });
        await tx.set({ session: { a: nastyBuffer(4) } });
        await h.advanceFence('s1');
        await expectRejects(
          Promise.resolve(tx.set({ session: { a: nastyBuffer(4) } })),
          FencedOutError,
        );
        await expectRejects(
          tx.transaction(async () => {
            await tx.set({ 'sender-key': { g: nastyBytes(4) } });
            return 'done';
          }, 's1'),
          FencedOutError,
        );
        expect(auth.fencedOut).toBeInstanceOf(FencedOutError);
      });

      it('leaves the cache unchanged by a refused write', async () => {
        const ops: AuthStoreOp[] = [];
        const store = h.createStore({
          keyring: ring1,
          cacheBytes: 1 << 20,
          observe: (op) => ops.push(op),
        });
        const auth = await store.open('s1', { fence: await h.advanceFence('s1') });
        const kept = nastyBuffer(16);
        await auth.state.keys.set({ session: { a: kept } });
        await h.advanceFence('s1');
        await expectRejects(
          auth.state.keys.set({ session: { a: nastyBuffer(16) } }),
          FencedOutError,
        );
        ops.length = 0;
        expect((await auth.state.keys.get('session', ['a'])).a).toEqual(kept);
        expect(ops).toEqual([]); // served by the cache, which still holds the stored value
        expect((await (await openFresh('s1')).state.keys.get('session', ['a'])).a).toEqual(kept);
      });
    });

    describe('wipe', () => {
      it('removes exactly one session: wiping s7 leaves s70 byte-identical', async () => {
        for (const id of ['s7', 's70']) {
          const auth = await openFresh(id);
          Object.assign(auth.state.creds, pairedCreds());
          await auth.saveCreds();
          await auth.state.keys.set(signalSamples());
        }
        const before = await h.rawSession('s70');
        expect(before.size).toBeGreaterThan(10);
        const s7 = await openFresh('s7');
        await s7.wipe();
        const store = h.createStore({ keyring: ring1 });
        expect(await store.exists('s7')).toBe(false);
        expect(
          await (
            await store.open('s7', { fence: 0 })
          ).state.keys.get('session', ['4915112345678.0']),
        ).toEqual({});
        expect(await store.exists('s70')).toBe(true);
        expect(await h.rawSession('s70')).toEqual(before);
        expect(await h.rawSession('s7')).toEqual(new Map());
      });

      it('store.wipe is fenced too', async () => {
        const auth = await openFresh('s1');
        await auth.saveCreds();
        const fence = await h.advanceFence('s1');
        const store = h.createStore({ keyring: ring1 });
        const err = await expectRejects(store.wipe('s1', { fence: fence - 1 }), FencedOutError);
        expect(err).toMatchObject({ sessionId: 's1', writerFence: 0, storedFence: 1 });
        expect(await store.exists('s1')).toBe(true);
        await store.wipe('s1', { fence });
        expect(await store.exists('s1')).toBe(false);
        await store.wipe('never-existed', { fence: 0 });
      });
    });

    describe('arguments and metrics', () => {
      it('rejects invalid session ids and fences', async () => {
        const store = h.createStore({ keyring: ring1 });
        for (const bad of ['', '../x', 'a b', '{s:1}']) {
          await expect(store.open(bad, { fence: 0 }), bad).rejects.toThrow(/session id/);
          await expect(store.exists(bad), bad).rejects.toThrow(/session id/);
        }
        for (const fence of [-1, 1.5, Number.NaN]) {
          await expect(store.open('s1', { fence })).rejects.toThrow(/fence/);
        }
      });

      it('reports each storage round trip to observe(), failures included', async () => {
        const seen: [AuthStoreOp, number, boolean][] = [];
        const store = h.createStore({
          keyring: ring1,
          observe: (op, seconds, ok) => seen.push([op, seconds, ok]),
        });
        const auth = await store.open('s1', { fence: 0 });
        await auth.saveCreds();
        await auth.state.keys.set({ session: { a: nastyBuffer(3) } });
        await auth.state.keys.get('session', ['a']);
        await auth.state.keys.set({});
        await auth.wipe();
        await h.advanceFence('s1');
        await expectRejects(
          auth.state.keys.set({ session: { a: nastyBuffer(3) } }),
          FencedOutError,
        );
        await expectRejects(
          auth.state.keys.set({ session: { a: nastyBuffer(3) } }),
          FencedOutError,
        );
        expect(seen.map(([op, , ok]) => `${op}:${ok}`)).toEqual([
          'creds:true',
          'creds:true',
          'set:true',
          'get:true',
          'wipe:true',
          'set:false',
        ]);
        for (const [, seconds] of seen) expect(seconds).toBeGreaterThanOrEqual(0);
      });
    });
  });
}
