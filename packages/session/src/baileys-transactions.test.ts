// Baileys is patched (patches/@whiskeysockets__baileys@7.0.0-rc14.patch) so every socket's key-store
// transactions share one AsyncLocalStorage. These tests pin what the patch must keep: each socket
// sees only its own transaction, however the sockets' async work interleaves; and work that outlives
// a transaction writes to the store instead of into the ended transaction.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { addTransactionCapability, type SignalDataSet } from '@whiskeysockets/baileys';
import { describe, expect, it } from 'vitest';

type Store = Parameters<typeof addTransactionCapability>[0];

function memoryStore(): { store: Store; writes: SignalDataSet[] } {
  const data = new Map<string, unknown>();
  const writes: SignalDataSet[] = [];
  const store: Store = {
    get: (type, ids) =>
      Promise.resolve(
        Object.fromEntries(
          ids.flatMap((id) => (data.has(`${type}:${id}`) ? [[id, data.get(`${type}:${id}`)]] : [])),
        ),
      ) as never,
    set: (set) => {
      writes.push(set);
      for (const [type, items] of Object.entries(set))
        for (const [id, value] of Object.entries(items ?? {})) data.set(`${type}:${id}`, value);
      return Promise.resolve();
    },
  };
  return { store, writes };
}

const silent = () => undefined;
const logger = {
  level: 'silent',
  trace: silent,
  debug: silent,
  info: silent,
  warn: silent,
  error: silent,
  child: () => logger,
} as never;
const opts = { maxCommitRetries: 1, delayBetweenTriesMs: 1 };
const tick = () => new Promise((r) => setImmediate(r));

describe('Baileys key-store transactions (patched to share one AsyncLocalStorage)', () => {
  it('the installed Baileys carries the patch', () => {
    const require = createRequire(import.meta.url);
    const lib = dirname(require.resolve('@whiskeysockets/baileys'));
    const source = readFileSync(join(lib, 'Utils', 'auth-utils.js'), 'utf8');
    expect(source).toContain('const sharedTxStorage = new AsyncLocalStorage();');
    expect(source).not.toMatch(/const txStorage = new AsyncLocalStorage\(\)/);
    expect(source).toContain('await txStorage.settled();');
  });

  it('each socket sees only its own transaction, also nested in another socket’s', async () => {
    const a = memoryStore();
    const b = memoryStore();
    const keysA = addTransactionCapability(a.store, logger, opts);
    const keysB = addTransactionCapability(b.store, logger, opts);
    const seen: string[] = [];
    await keysA.transaction(async () => {
      seen.push(`A in A: ${keysA.isInTransaction()}, B in A: ${keysB.isInTransaction()}`);
      await keysA.set({ session: { x: Buffer.from('a1') } });
      await keysB.transaction(async () => {
        await tick();
        seen.push(`A in B: ${keysA.isInTransaction()}, B in B: ${keysB.isInTransaction()}`);
        await keysB.set({ session: { x: Buffer.from('b1') } });
        // B reads its own pending write, never A's.
        const got = await keysB.get('session', ['x']);
        seen.push(`B reads ${String(got.x)}`);
      }, 'b');
      // Still inside A: B's transaction has committed, A's has not.
      expect(b.writes).toHaveLength(1);
      expect(a.writes).toHaveLength(0);
      const got = await keysA.get('session', ['x']);
      seen.push(`A reads ${String(got.x)}`);
    }, 'a');
    expect(a.writes).toEqual([{ session: { x: Buffer.from('a1') } }]);
    expect(seen).toEqual([
      'A in A: true, B in A: false',
      'A in B: true, B in B: true',
      'B reads b1',
      'A reads a1',
    ]);
    expect(keysA.isInTransaction()).toBe(false);
    expect(keysB.isInTransaction()).toBe(false);
  });

  it('stores what work started in a transaction writes after that transaction ended', async () => {
    const a = memoryStore();
    const keys = addTransactionCapability(a.store, logger, opts);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let background: Promise<unknown> | undefined;
    await keys.transaction(async () => {
      await keys.set({ session: { x: Buffer.from('in-tx') } });
      // Like Baileys' tctoken issuance after a send: started inside, finishes after the commit.
      background = (async () => {
        await gate;
        expect(keys.isInTransaction()).toBe(false);
        const before = await keys.get('session', ['x']);
        await keys.set({ 'sender-key-memory': { y: { z: true } } });
        return String(before.x);
      })();
    }, 'a');
    expect(a.writes).toEqual([{ session: { x: Buffer.from('in-tx') } }]);
    release();
    // It read the committed value from the store and its own write reached the store.
    await expect(background).resolves.toBe('in-tx');
    expect(a.writes).toHaveLength(2);
    expect(a.writes[1]).toEqual({ 'sender-key-memory': { y: { z: true } } });
  });

  it('keeps many sockets apart while their transactions interleave', async () => {
    const stores = Array.from({ length: 20 }, () => memoryStore());
    const keys = stores.map((s) => addTransactionCapability(s.store, logger, opts));
    await Promise.all(
      keys.map((k, i) =>
        k.transaction(async () => {
          for (let step = 0; step < 5; step++) {
            await tick();
            await k.set({ session: { [`s${step}`]: Buffer.from(`${i}:${step}`) } });
            // No other socket is in a transaction in this context.
            expect(keys.filter((o) => o.isInTransaction())).toEqual([k]);
          }
        }, `k${i}`),
      ),
    );
    for (const [i, s] of stores.entries()) {
      expect(s.writes).toHaveLength(1);
      expect(Object.values(s.writes[0]?.session ?? {}).map(String)).toEqual(
        [0, 1, 2, 3, 4].map((step) => `${i}:${step}`),
      );
    }
  });
});
