import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { BufferJSON } from '@whiskeysockets/baileys';
import type { KeyPair } from '../crypto/curve.js';
import type { CompanionDevice } from '../model/companion-device.js';
import type { SimUserState } from '../model/sim-user.js';

/** What a state file holds: enough to restart a sim without users re-pairing. */
export interface SimState {
  version: 1;
  /** Root key clients trust; kept so a restart does not invalidate them. */
  root: KeyPair;
  users: SimUserState[];
  companions: CompanionDevice[];
}

/** Reads a state file; undefined when it does not exist yet. */
export function loadSimState(path: string): SimState | undefined {
  if (!existsSync(path)) return undefined;
  const state = JSON.parse(readFileSync(path, 'utf8'), BufferJSON.reviver) as SimState;
  if (state.version !== 1) throw new Error(`unsupported wa-sim state file version in ${path}`);
  return state;
}

/** Writes atomically (temp file + rename), so a crash never leaves half a file. */
export function saveSimState(path: string, state: SimState): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, BufferJSON.replacer));
  renameSync(tmp, path);
}
