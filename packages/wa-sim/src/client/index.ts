// Baileys-side helpers: point a socket at a sim, drive a sim in another process.
export {
  waSimSocketOptions,
  type WaSimTarget,
  type WaSimSocketOptions,
} from './wa-sim-socket-options.js';
export { createMemoryAuthState, type MemoryAuthState } from './memory-auth-state.js';
export { WaSimControlClient } from '../control/control-client.js';
