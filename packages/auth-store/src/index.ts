export type {
  AuthStateStore,
  AuthStateStoreOptions,
  AuthStoreObserver,
  AuthStoreOp,
  OpenAuthStateOptions,
  SessionAuthenticationState,
  SessionAuthState,
  SessionKeyStore,
} from './auth-state-store.js';
export {
  AuthStateKeyError,
  authStoreErrors,
  FencedOutError,
  type AuthStateKeyErrorCode,
} from './errors.js';
export {
  createFileAuthStateStore,
  type FileAuthStateStore,
  type FileAuthStateStoreOptions,
} from './file-auth-state-store.js';
export {
  createRedisAuthStateStore,
  type RedisAuthStateStoreOptions,
} from './redis-auth-state-store.js';
export { readEnvelopeKeyId } from './value-cipher.js';
export { ValueCipher } from './value-cipher.js';
