export {
  ClientClosedError,
  clientErrors,
  InvalidJobIdError,
  JobNotFoundError,
  SendFailedError,
  WaitTimeoutError,
} from './errors.js';
export {
  WafleetClient,
  type EnqueuedSend,
  type SendJobState,
  type SendRef,
  type SendStatus,
  type WafleetClientOptions,
} from './wafleet-client.js';
// Re-exported so producers need only this package.
export {
  SendValidationError,
  type SendContentInput,
  type SendFailureReason,
  type SendOptionsInput,
  type SendProblem,
  type SendResult,
} from '@wafleet/queue';
