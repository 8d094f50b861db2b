import {
  initAuthCreds,
  type AuthenticationCreds,
  type AuthenticationState,
  type SignalDataSet,
  type SignalDataTypeMap,
} from '@whiskeysockets/baileys';

/** An in-memory Baileys auth state plus the hook that persists `creds.update`. */
export interface MemoryAuthState {
  state: AuthenticationState;
  /** Pass to `sock.ev.on('creds.update', …)`. */
  saveCreds: (update: Partial<AuthenticationCreds>) => void;
}

/** In-memory Baileys `AuthenticationState` for tests and benchmarks (never for production). */
export function createMemoryAuthState(
  creds: AuthenticationCreds = initAuthCreds(),
): MemoryAuthState {
  const store = new Map<string, unknown>();
  const state: AuthenticationState = {
    creds,
    keys: {
      get: <T extends keyof SignalDataTypeMap>(type: T, ids: string[]) => {
        const out: { [id: string]: SignalDataTypeMap[T] } = {};
        for (const id of ids) {
          const v = store.get(`${type}:${id}`);
          if (v !== undefined) out[id] = v as SignalDataTypeMap[T];
        }
        return Promise.resolve(out);
      },
      set: (data: SignalDataSet) => {
        for (const [type, entries] of Object.entries(data)) {
          for (const [id, value] of Object.entries(entries ?? {})) {
            if (value === null || value === undefined) store.delete(`${type}:${id}`);
            else store.set(`${type}:${id}`, value);
          }
        }
        return Promise.resolve();
      },
    },
  };
  return { state, saveCreds: (update) => Object.assign(state.creds, update) };
}
