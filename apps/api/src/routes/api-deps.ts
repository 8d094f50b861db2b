import type { AuthStateStore } from '@wafleet/auth-store';
import type { CloudSessionStore } from '@wafleet/cloud-api';
import type { WafleetClient } from '@wafleet/client';
import type { ApiConfig, Logger } from '@wafleet/core';
import type { ReadinessCheck, Registry } from '@wafleet/metrics';
import type { Keys, RedisClient, SessionRecords } from '@wafleet/redis';
import type { ApiKeyStore } from '../auth/api-key-store.js';
import type { ScanTokens } from '../auth/scan-token.js';
import type { SimDemo } from '../demo/sim-demo.js';
import type { EventTail } from '../events/event-tail.js';
import type { SseStreams } from '../http/sse-stream.js';
import type { SessionControl } from '../sessions/session-control.js';
import type { SecretBox } from '../webhooks/secret-box.js';
import type { UrlPolicy } from '../webhooks/url-policy.js';

/** What the route modules share: built once by `buildApi`. */
export interface ApiDeps {
  config: ApiConfig;
  instanceId: string;
  logger: Logger;
  registry: Registry;
  redis: RedisClient;
  keys: Keys;
  records: SessionRecords;
  control: SessionControl;
  tail: EventTail;
  apiKeys: ApiKeyStore;
  client: WafleetClient;
  scanTokens: ScanTokens;
  streams: SseStreams;
  policy: UrlPolicy;
  box: SecretBox;
  authStore: AuthStateStore;
  cloud: CloudSessionStore;
  readiness: ReadinessCheck[];
  demo: SimDemo | undefined;
}
