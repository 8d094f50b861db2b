export {
  cloudSessionConfigSchema,
  DEFAULT_GRAPH_BASE_URL,
  DEFAULT_GRAPH_VERSION,
  type CloudSessionConfig,
  type CloudSessionConfigInput,
} from './cloud-session-config.schema.js';
export {
  CLOUD_SEEN_TTL_SECONDS,
  CLOUD_SENT_TTL_SECONDS,
  CloudSessionStore,
  type CloudSessionStoreOptions,
  type CloudSessionView,
  type CloudTokenStatus,
  type TokenCheck,
} from './cloud-session-store.js';
export {
  CloudTokenKeeper,
  DEFAULT_REFRESH_AHEAD_MS,
  DEFAULT_WARN_AHEAD_MS,
  type CloudTokenEvent,
  type CloudTokenEventType,
  type CloudTokenKeeperOptions,
} from './cloud-token-keeper.js';
export { cloudApiErrors } from './errors.js';
export { GraphApiError, type GraphApiErrorFields } from './graph-api-error.js';
export {
  GraphClient,
  type GraphCallInfo,
  type GraphClientOptions,
  type GraphOp,
  type GraphTokenInfo,
  type GraphUpload,
} from './graph-client.js';
export {
  buildGraphMessage,
  CLOUD_LIMITS,
  type GraphMedia,
  type GraphMessageBody,
} from './graph-message.js';
export { parseWebhook, type CloudInboundMessage, type CloudStatusUpdate } from './parse-webhook.js';
export { planTokenAction, type TokenAction, type TokenPlanInput } from './token-plan.js';
export { vcardToGraphContact, type GraphContact } from './vcard-contact.js';
export { answerVerification, verifyWebhookSignature } from './webhook-verification.js';
