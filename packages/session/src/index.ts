export { sessionErrors } from './errors.js';
export {
  DEFAULT_RECONNECT_POLICY,
  DisconnectCode,
  decideReconnect,
  fullJitterDelay,
  type DisconnectCause,
  type ReconnectAction,
  type ReconnectHistory,
  type ReconnectPolicyOptions,
} from './reconnect-policy.js';
export { SeenIds } from './seen-ids.js';
export {
  installStrictSignatureCheck,
  isStrictSignatureCheckInstalled,
  strictVerify,
  trustSimulatorRoot,
  trustWhatsAppRoot,
  WHATSAPP_ROOT_PUBLIC_KEY,
} from './server-trust.js';
export {
  SessionRunner,
  type ReceiptStatus,
  type SessionAuth,
  type SessionEvents,
  type SessionRunnerOptions,
  type SessionSocketOptions,
  type SessionStatusEvent,
} from './session-runner.js';
export { SESSION_STATES, TERMINAL_STATES, type SessionState } from './session-state.js';
