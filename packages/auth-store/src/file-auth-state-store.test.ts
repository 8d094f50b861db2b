import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nastyBuffer, runAuthStoreConformance } from './auth-store.conformance.js';
import { sessionDirName } from './file-auth-backend.js';
import { createFileAuthStateStore, type FileAuthStateStore } from './file-auth-state-store.js';
import { encodeRecord, parseLog } from './keys-log.js';

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

/** A session's live envelopes as the log holds them, by location, plus its raw files. */
function rawSession(dir: string, sessionId: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const sessionDir = join(dir, 'sessions', sessionDirName(sessionId));
  if (!existsSync(sessionDir)) return out;
  for (const name of readdirSync(sessionDir))
    out.set(`file:${name}`, readFileSync(join(sessionDir, name)));
  const creds = out.get('file:creds');
  if (creds) out.set('creds', creds);
  const log = out.get('file:keys.log');
  for (const record of log ? parseLog(log).records : []) {
    for (const [field, value] of record) {
      if (value === null) out.delete(field);
      else out.set(field, value);
    }
  }
  return out;
}

runAuthStoreConformance('file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wafleet-auth-'));
  const stores: FileAuthStateStore[] = [];
  // The fence counter lives with the data; a separate instance plays the ownership side.
  const fencer = createFileAuthStateStore({
    dir,
    keyring: { currentKeyId: 'f', keys: new Map([['f', randomBytes(32)]]) },
  });
  return {
    createStore(options) {
      const store = createFileAuthStateStore({ ...options, dir });
      stores.push(store);
      return store;
    },
    advanceFence: (sessionId) => fencer.advanceFence(sessionId),
    rawValues: () => Promise.resolve(filesUnder(dir).map((f) => readFileSync(f))),
    rawSession: (sessionId) => Promise.resolve(rawSession(dir, sessionId)),
    copyRaw(from, to) {
      const value = rawSession(dir, from.sessionId).get(from.field);
      if (!value) throw new Error(`nothing stored at ${from.sessionId}/${from.field}`);
      const target = join(dir, 'sessions', sessionDirName(to.sessionId));
      if (to.field === 'creds') writeFileSync(join(target, 'creds'), value);
      else appendFileSync(join(target, 'keys.log'), encodeRecord([[to.field, value]]));
      return Promise.resolve();
    },
    async close() {
      await Promise.all([...stores, fencer].map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('file auth state store', () => {
  let dir: string;
  const keyring = { currentKeyId: 'k1', keys: new Map([['k1', randomBytes(32)]]) };
  const stores: FileAuthStateStore[] = [];
  const newStore = () => {
    const store = createFileAuthStateStore({ dir, keyring });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wafleet-auth-'));
  });
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('lays out sessions/<id>/{creds,keys.log} and fences/<id>, owner-only, case kept apart', async () => {
    const store = newStore();
    for (const id of ['s1', 'S1']) {
      const auth = await store.open(id, { fence: await store.advanceFence(id) });
      await auth.saveCreds();
      await auth.state.keys.set({ session: { a: nastyBuffer(10) } });
    }
    expect(readdirSync(join(dir, 'sessions')).sort()).toEqual(['^s1', 's1']);
    expect(readdirSync(join(dir, 'sessions', 's1')).sort()).toEqual(['creds', 'keys.log']);
    expect(readFileSync(join(dir, 'fences', 's1'), 'utf8')).toBe('1\n');
    expect(statSync(join(dir, 'sessions', 's1', 'creds')).mode & 0o077).toBe(0);
    expect(statSync(join(dir, 'sessions', 's1')).mode & 0o077).toBe(0);
    await expect(store.advanceFence('../etc')).rejects.toThrow(/session id/);
  });

  it('ignores a torn last record (a crash mid keys.set) and keeps every completed call', async () => {
    const writer = newStore();
    const auth = await writer.open('s1', { fence: 0 });
    const kept = nastyBuffer(64);
    await auth.state.keys.set({ session: { a: kept } });
    await writer.close();
    const log = join(dir, 'sessions', 's1', 'keys.log');
    const whole = statSync(log).size;
    const torn = encodeRecord([
      ['session:a', nastyBuffer(200)],
      ['session:b', nastyBuffer(200)],
    ]);
    appendFileSync(log, torn.subarray(0, torn.length - 7));

    const reader = await newStore().open('s1', { fence: 0 });
    const got = await reader.state.keys.get('session', ['a', 'b']);
    expect(Object.keys(got)).toEqual(['a']);
    expect(got.a).toEqual(kept);
    expect(statSync(log).size).toBe(whole); // truncated back to the last whole record
    const later = nastyBuffer(20);
    await reader.state.keys.set({ session: { b: later } });
    expect(
      (await (await newStore().open('s1', { fence: 0 })).state.keys.get('session', ['b'])).b,
    ).toEqual(later);
  });

  it('keeps the old creds when a write died before its rename', async () => {
    const store = newStore();
    const auth = await store.open('s1', { fence: 0 });
    await auth.saveCreds();
    // What a crash between write and rename leaves behind.
    writeFileSync(join(dir, 'sessions', 's1', '.creds.tmp-dead'), randomBytes(100));
    const again = await newStore().open('s1', { fence: 0 });
    expect(again.state.creds.noiseKey.private).toEqual(auth.state.creds.noiseKey.private);
  });

  it('compacts a log that grew past twice its live size, keeping every value', async () => {
    const store = newStore();
    const auth = await store.open('s1', { fence: 0 });
    let last = nastyBuffer(1);
    const other = nastyBuffer(500);
    await auth.state.keys.set({ session: { other } });
    for (let i = 0; i < 600; i++) {
      last = nastyBuffer(2000);
      await auth.state.keys.set({ session: { hot: last } });
    }
    const size = statSync(join(dir, 'sessions', 's1', 'keys.log')).size;
    expect(size).toBeLessThan(600 * 2000); // without compaction it would hold every write
    const reader = await newStore().open('s1', { fence: 0 });
    const got = await reader.state.keys.get('session', ['hot', 'other']);
    expect(got.hot).toEqual(last);
    expect(got.other).toEqual(other);
  });

  it('does not create files for reads of a session that stored nothing', async () => {
    const auth = await newStore().open('s1', { fence: 0 });
    expect(await auth.state.keys.get('session', ['a'])).toEqual({});
    expect(filesUnder(dir)).toEqual([]);
  });
});
