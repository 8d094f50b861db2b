export { envVar, envVarMeta, type EnvVarMeta } from './config/env-var.js';
export {
  baseFields,
  encryptionKeysField,
  portField,
  positiveIntField,
  redisUrlField,
  type EncryptionKeyring,
} from './config/fields.js';
export { loadConfig, type ConfigProblem, type Env } from './config/load-config.js';
export {
  apiConfigSchema,
  appConfigSchemas,
  coordinatorConfigSchema,
  workerConfigSchema,
  type ApiConfig,
  type CoordinatorConfig,
  type WorkerConfig,
} from './config/schemas.js';
export { coreErrors } from './core-errors.js';
export {
  defineErrors,
  WafleetError,
  type ErrorCatalogue,
  type ErrorDetails,
  type ErrorSpec,
} from './errors.js';
export {
  isValidSessionId,
  newId,
  newInstanceId,
  newUuid,
  SESSION_ID_PATTERN,
  SESSION_ID_RULE,
} from './ids.js';
export { createLogger, SECRET_FIELDS, type CreateLoggerOptions, type Logger } from './logger.js';
export { ShutdownSequence, type ShutdownStep } from './shutdown.js';
export {
  CONFIG_TABLE_END,
  CONFIG_TABLE_START,
  renderConfigTable,
  replaceConfigTable,
} from './config/config-table.js';
