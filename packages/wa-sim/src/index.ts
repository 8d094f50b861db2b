// Public API of @wafleet/wa-sim. Tests, benchmarks and the no-phone demo only; never production.
export { WaSim, type WaSimOptions, type PairedDevice } from './server/wa-sim.js';
export type {
  AckBehavior,
  DeviceReceipt,
  DisconnectFault,
  DualConnectionEvent,
  LoginRefusal,
  RecordedMedia,
  RecordedMessage,
  SimCounters,
} from './server/sim-types.js';
export { SimUser, type AutoReceipt } from './model/sim-user.js';
export type { CompanionDevice } from './model/companion-device.js';
export { silentLogger, type SimLogger } from './server/sim-logger.js';
export { ControlServer } from './control/control-server.js';
export { WaSimControlClient } from './control/control-client.js';
export type {
  SimInfo,
  WireDevice,
  WireMessage,
  WireSendResult,
  WireUser,
} from './control/wire-types.js';
export { verifySignature } from './crypto/curve.js';
