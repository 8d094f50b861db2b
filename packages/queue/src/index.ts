export { classifySendError, type SendErrorClassification } from './classify-send-error.js';
export {
  queueErrors,
  SendError,
  SendValidationError,
  type SendErrorOptions,
  type SendProblem,
} from './errors.js';
export {
  BASE64_RULE,
  base64DecodedBytes,
  baseMimeType,
  DEFAULT_SEND_LIMITS,
  MEDIA_MIME_TYPES,
  VOICE_NOTE_MIME_TYPE,
  type MediaType,
  type SendLimits,
} from './media-rules.js';
export {
  deriveMessageId,
  MESSAGE_ID_PATTERN,
  newIdempotencyKey,
  parseSendJobId,
  sendJobId,
} from './message-id.js';
export {
  DEFAULT_MESSAGE_STATUS_TTL_MS,
  DEFAULT_MIN_LEASE_REMAINING_MS,
  leaseValue,
  MESSAGE_STATUSES,
  readMessageStatus,
  recordMessageStatus,
  type LeaseFence,
  type MessageStatus,
  type MessageStatusRecord,
  type MessageStatusUpdate,
  type RecordMessageStatusOptions,
  type RecordMessageStatusResult,
} from './message-status.js';
export {
  parseSendJob,
  parseSendRequest,
  type ParseSendRequestOptions,
} from './parse-send-request.js';
export {
  DEFAULT_SEND_JOB_SETTINGS,
  JOB_NAMES,
  QUEUE_NAMES,
  SEND_BACKOFF_TYPE,
  SEND_JOB_NAME,
  sendJobOptions,
  sendQueueName,
  sendQueueOptions,
  sharedQueueOptions,
  type QueueAddress,
  type SendJobSettings,
} from './queue-catalogue.js';
export { isRecipientJid, normalizeRecipient, RECIPIENT_RULE } from './recipient.js';
export { DEFAULT_BACKOFF, fullJitterBackoff, type BackoffSettings } from './send-backoff.js';
export {
  failureKind,
  formatFailureText,
  isSendFailureReason,
  parseFailureText,
  SEND_FAILURE_REASONS,
  type SendFailureKind,
  type SendFailureReason,
} from './send-failure-reason.js';
export {
  CONTENT_TYPES,
  IDEMPOTENCY_KEY_RULE,
  parseExpiresAt,
  PRIORITY_RANGE,
  SEND_JOB_VERSION,
  sendContentSchema,
  sendJobSchema,
  sendRequestSchema,
  type ContentType,
  type SendContent,
  type SendContentInput,
  type SendJob,
  type SendOptionsInput,
  type SendRequest,
} from './send-job.schema.js';
export type { SendContext, SendResult, SendTransport } from './send-transport.js';
export {
  DEFAULT_ACK_TIMEOUT_MS,
  DEFAULT_RATE_LIMITED_BACKOFF_MS,
  SEND_RATE_PRESETS,
  SessionSendConsumer,
  lastFailureOf,
  triesOf,
  type SendConsumerEvent,
  type SendConsumerState,
  type SendRateLimit,
  type SessionSendConsumerOptions,
} from './session-send-consumer.js';
