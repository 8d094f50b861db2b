import { readFileSync } from 'node:fs';
import type { Keys, RedisClient } from '@wafleet/redis';
import type { AuthBackend, FencedWriteResult } from './auth-backend.js';

const script = (file: string) => readFileSync(new URL(file, import.meta.url), 'utf8');

const SET_CREDS = 'wafleetAuthSetCreds';
const SET_KEYS = 'wafleetAuthSetKeys';
const WIPE = 'wafleetAuthWipe';

type ScriptArg = string | number | Buffer;

/** The commands `defineCommand` adds to the client (ioredis types them only dynamically). */
interface AuthCommands {
  [SET_CREDS](...args: ScriptArg[]): Promise<unknown>;
  [SET_KEYS](...args: ScriptArg[]): Promise<unknown>;
  [WIPE](...args: ScriptArg[]): Promise<unknown>;
}

function fencedResult(reply: unknown): FencedWriteResult {
  if (!Array.isArray(reply)) throw new Error(`unexpected auth script reply ${String(reply)}`);
  if (reply[0] === 1) return { applied: true };
  return { applied: false, storedFence: Number(reply[1]) };
}

/**
 * Redis layout (names from `createKeys`): `authCreds(id)` one string value, `authKeys(id)` one
 * hash with field `<type>:<id>`; every value an encrypted envelope. Writes are Lua scripts that
 * check `fence(id)` first; reads are one GET or one HMGET.
 */
export class RedisAuthBackend implements AuthBackend {
  private readonly commands: AuthCommands;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {
    // Redefining on a shared client is harmless: same name, same script.
    redis.defineCommand(SET_CREDS, { numberOfKeys: 2, lua: script('./set-creds-2.lua') });
    redis.defineCommand(SET_KEYS, { numberOfKeys: 2, lua: script('./set-keys-2.lua') });
    redis.defineCommand(WIPE, { numberOfKeys: 3, lua: script('./wipe-3.lua') });
    this.commands = redis as unknown as AuthCommands;
  }

  async readCreds(sessionId: string): Promise<Buffer | null> {
    return this.redis.getBuffer(this.keys.authCreds(sessionId));
  }

  async writeCreds(sessionId: string, fence: number, envelope: Buffer): Promise<FencedWriteResult> {
    const reply = await this.commands[SET_CREDS](
      this.keys.fence(sessionId),
      this.keys.authCreds(sessionId),
      fence,
      envelope,
    );
    return fencedResult(reply);
  }

  async readKeys(sessionId: string, fields: readonly string[]): Promise<(Buffer | null)[]> {
    return this.redis.hmgetBuffer(this.keys.authKeys(sessionId), ...fields);
  }

  async writeKeys(
    sessionId: string,
    fence: number,
    puts: readonly (readonly [string, Buffer])[],
    deletes: readonly string[],
  ): Promise<FencedWriteResult> {
    const args: ScriptArg[] = [
      this.keys.fence(sessionId),
      this.keys.authKeys(sessionId),
      fence,
      puts.length,
    ];
    for (const [field, envelope] of puts) args.push(field, envelope);
    for (const field of deletes) args.push(field);
    return fencedResult(await this.commands[SET_KEYS](...args));
  }

  async wipe(sessionId: string, fence: number): Promise<FencedWriteResult> {
    const reply = await this.commands[WIPE](
      this.keys.fence(sessionId),
      this.keys.authCreds(sessionId),
      this.keys.authKeys(sessionId),
      fence,
    );
    return fencedResult(reply);
  }

  async hasCreds(sessionId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.authCreds(sessionId))) === 1;
  }
}
