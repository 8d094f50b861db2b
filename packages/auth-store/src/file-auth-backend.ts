import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { isValidSessionId, SESSION_ID_RULE } from '@wafleet/core';
import type { AuthBackend, FencedWriteResult } from './auth-backend.js';
import { authStoreErrors } from './errors.js';
import { encodeRecord, parseLog, type LogEntry } from './keys-log.js';

/** Compact the keys log once it is this big and more than twice its live contents. */
const COMPACT_MIN_BYTES = 1024 * 1024;
/** Per-entry overhead in the log: field length, value length. */
const ENTRY_OVERHEAD = 6;

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/**
 * Session ids are case-sensitive but macOS and Windows file systems are not: upper-case letters
 * become `^` + the lower-case letter (`^` never appears in a session id), so `S1` and `s1` differ.
 */
export function sessionDirName(sessionId: string): string {
  // Validated here too: the id becomes a path, and "../x" must never reach the file system.
  if (!isValidSessionId(sessionId)) {
    throw authStoreErrors.create('AUTH_STORE_INVALID_ARGUMENT', {
      reason: `session id ${JSON.stringify(sessionId)} must be ${SESSION_ID_RULE}`,
    });
  }
  return sessionId.replace(/[A-Z]/g, (c) => `^${c.toLowerCase()}`);
}

/** fsync of a directory makes a rename or a new entry in it durable. */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Windows cannot open a directory for fsync; its renames are durable without it.
    if (process.platform !== 'win32') throw err;
  } finally {
    await handle?.close();
  }
}

/** Write to a temp file, fsync it, rename it over the target, fsync the directory. */
async function writeFileAtomic(dir: string, name: string, data: Uint8Array): Promise<void> {
  const target = join(dir, name);
  const temp = join(dir, `.${name}.tmp-${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, 'w', 0o600);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, target);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
  await syncDir(dir);
}

/** A session's keys log, loaded: the live envelopes and an open handle for appends. */
interface LoadedKeys {
  values: Map<string, Buffer>;
  handle: FileHandle;
  /** End of the valid log: the next record is written here. */
  size: number;
  /** What the log would weigh if compacted now. */
  liveBytes: number;
}

/**
 * Single-node storage under one directory:
 *
 *   sessions/<name>/creds      the creds envelope, replaced by write-temp + fsync + rename + fsync dir
 *   sessions/<name>/keys.log   append-only records of keys.set calls (see keys-log.ts), fsynced
 *   fences/<name>              the fence counter (absent = 0), kept across wipes
 *
 * One process owns the directory: operations on a session run one at a time, in call order, and
 * the keys of open sessions are held in memory.
 */
export class FileAuthBackend implements AuthBackend {
  private readonly sessionsDir: string;
  private readonly fencesDir: string;
  private readonly trashDir: string;
  private readonly loaded = new Map<string, LoadedKeys>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(readonly dir: string) {
    this.sessionsDir = join(dir, 'sessions');
    this.fencesDir = join(dir, 'fences');
    this.trashDir = join(dir, 'trash');
  }

  private sessionDir(sessionId: string): string {
    return join(this.sessionsDir, sessionDirName(sessionId));
  }

  /** Runs `task` after every earlier operation on the session, like commands on one connection. */
  private serial<T>(sessionId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(sessionId) ?? Promise.resolve();
    const run = previous.then(task, task);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(sessionId, settled);
    void settled.then(() => {
      if (this.queues.get(sessionId) === settled) this.queues.delete(sessionId);
    });
    return run;
  }

  private async ensureDir(dir: string, parent: string): Promise<void> {
    const created = await mkdir(dir, { recursive: true, mode: 0o700 });
    if (created !== undefined) await syncDir(parent);
  }

  private async storedFence(sessionId: string): Promise<number> {
    let text: string;
    try {
      text = await readFile(join(this.fencesDir, sessionDirName(sessionId)), 'utf8');
    } catch (err) {
      if (isNotFound(err)) return 0;
      throw err;
    }
    const fence = Number(text.trim());
    if (!Number.isSafeInteger(fence)) {
      throw new Error(
        `fence file of session ${sessionId} is not an integer: ${JSON.stringify(text)}`,
      );
    }
    return fence;
  }

  private async fenced(
    sessionId: string,
    fence: number,
    write: () => Promise<void>,
  ): Promise<FencedWriteResult> {
    return this.serial(sessionId, async () => {
      const storedFence = await this.storedFence(sessionId);
      if (storedFence > fence) return { applied: false, storedFence };
      await write();
      return { applied: true };
    });
  }

  /** Increments the session's fence counter and returns the new value (what a lease acquisition does). */
  async advanceFence(sessionId: string): Promise<number> {
    return this.serial(sessionId, async () => {
      const next = (await this.storedFence(sessionId)) + 1;
      await this.ensureDir(this.fencesDir, this.dir);
      await writeFileAtomic(this.fencesDir, sessionDirName(sessionId), Buffer.from(`${next}\n`));
      return next;
    });
  }

  async readCreds(sessionId: string): Promise<Buffer | null> {
    return this.serial(sessionId, async () => {
      try {
        return await readFile(join(this.sessionDir(sessionId), 'creds'));
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    });
  }

  async writeCreds(sessionId: string, fence: number, envelope: Buffer): Promise<FencedWriteResult> {
    return this.fenced(sessionId, fence, async () => {
      const dir = this.sessionDir(sessionId);
      await this.ensureDir(this.sessionsDir, this.dir);
      await this.ensureDir(dir, this.sessionsDir);
      await writeFileAtomic(dir, 'creds', envelope);
    });
  }

  private async load(sessionId: string): Promise<LoadedKeys> {
    const existing = this.loaded.get(sessionId);
    if (existing) return existing;
    const dir = this.sessionDir(sessionId);
    await this.ensureDir(this.sessionsDir, this.dir);
    await this.ensureDir(dir, this.sessionsDir);
    const path = join(dir, 'keys.log');
    const isNew = !(await stat(path).catch(() => undefined));
    const handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
    try {
      if (isNew) await syncDir(dir);
      const bytes = await handle.readFile();
      const { records, validBytes } = parseLog(bytes);
      if (validBytes < bytes.length) {
        // A torn tail from a crash mid-append: that keys.set never completed.
        await handle.truncate(validBytes);
        await handle.sync();
      }
      const values = new Map<string, Buffer>();
      for (const record of records) {
        for (const [field, value] of record) {
          if (value === null) values.delete(field);
          else values.set(field, value);
        }
      }
      let liveBytes = 0;
      for (const [field, value] of values) liveBytes += entrySize(field, value);
      const loaded: LoadedKeys = { values, handle, size: validBytes, liveBytes };
      this.loaded.set(sessionId, loaded);
      return loaded;
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Forgets the in-memory copy; the next operation reloads from disk. */
  private async unload(sessionId: string): Promise<void> {
    const loaded = this.loaded.get(sessionId);
    this.loaded.delete(sessionId);
    await loaded?.handle.close().catch(() => undefined);
  }

  async readKeys(sessionId: string, fields: readonly string[]): Promise<(Buffer | null)[]> {
    return this.serial(sessionId, async () => {
      // Reading a session that never stored keys must not create files for it.
      const exists =
        this.loaded.has(sessionId) ||
        (await stat(join(this.sessionDir(sessionId), 'keys.log')).catch(() => undefined));
      if (!exists) return fields.map(() => null);
      const { values } = await this.load(sessionId);
      return fields.map((field) => values.get(field) ?? null);
    });
  }

  async writeKeys(
    sessionId: string,
    fence: number,
    puts: readonly (readonly [string, Buffer])[],
    deletes: readonly string[],
  ): Promise<FencedWriteResult> {
    return this.fenced(sessionId, fence, async () => {
      const loaded = await this.load(sessionId);
      const entries: LogEntry[] = [...puts, ...deletes.map((field): LogEntry => [field, null])];
      const record = encodeRecord(entries);
      try {
        await loaded.handle.write(record, 0, record.length, loaded.size);
        await loaded.handle.datasync();
      } catch (err) {
        // The record may be partly on disk: reload (and so truncate) before anything else.
        await this.unload(sessionId);
        throw err;
      }
      loaded.size += record.length;
      for (const [field, value] of entries) {
        const old = loaded.values.get(field);
        if (old) loaded.liveBytes -= entrySize(field, old);
        if (value === null) loaded.values.delete(field);
        else {
          loaded.values.set(field, value);
          loaded.liveBytes += entrySize(field, value);
        }
      }
      if (loaded.size > COMPACT_MIN_BYTES && loaded.size > 2 * loaded.liveBytes) {
        // The call's record is already durable: a failed compaction must not fail the call. The
        // old log stays valid (the rename never happened) and the next write tries again.
        await this.compact(sessionId, loaded).catch(() => undefined);
      }
    });
  }

  /** Rewrites the log as one record of the live entries (atomically: temp + rename). */
  private async compact(sessionId: string, loaded: LoadedKeys): Promise<void> {
    const record = encodeRecord([...loaded.values]);
    const dir = this.sessionDir(sessionId);
    await this.unload(sessionId);
    await writeFileAtomic(dir, 'keys.log', record);
  }

  async wipe(sessionId: string, fence: number): Promise<FencedWriteResult> {
    return this.fenced(sessionId, fence, async () => {
      await this.unload(sessionId);
      // One rename takes creds and keys away together; deleting the trash copy may then be slow
      // or interrupted without leaving a half-wiped session behind.
      await this.ensureDir(this.trashDir, this.dir);
      const trashed = join(
        this.trashDir,
        `${sessionDirName(sessionId)}.${randomBytes(6).toString('hex')}`,
      );
      try {
        await rename(this.sessionDir(sessionId), trashed);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      await syncDir(this.sessionsDir);
      await rm(trashed, { recursive: true, force: true });
    });
  }

  async hasCreds(sessionId: string): Promise<boolean> {
    return this.serial(sessionId, async () => {
      try {
        return (await stat(join(this.sessionDir(sessionId), 'creds'))).isFile();
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    });
  }

  /** Waits for pending operations and closes open files. */
  async close(): Promise<void> {
    await Promise.all([...this.queues.values()]);
    await Promise.all([...this.loaded.keys()].map((id) => this.unload(id)));
  }
}

function entrySize(field: string, value: Buffer): number {
  return ENTRY_OVERHEAD + Buffer.byteLength(field) + value.length;
}
