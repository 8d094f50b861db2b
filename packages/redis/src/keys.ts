import { isValidSessionId, SESSION_ID_RULE } from '@wafleet/core';

/** The hash tag that keeps every key of one session in one Redis Cluster slot. */
export function sessionTag(sessionId: string): string {
  if (!isValidSessionId(sessionId)) {
    throw new Error(`invalid session id ${JSON.stringify(sessionId)}: must be ${SESSION_ID_RULE}`);
  }
  return `{s:${sessionId}}`;
}

function assertWorkerId(workerId: string): string {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(workerId)) {
    throw new Error(`invalid worker id ${JSON.stringify(workerId)}`);
  }
  return workerId;
}

/**
 * Every Redis key name wafleet uses, in one place. Per-session keys share the `{s:<id>}` hash tag
 * (and so one Cluster slot), which lets one Lua script check a lease and write auth state or
 * complete a job atomically.
 */
export function createKeys(prefix = 'wf') {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(prefix))
    throw new Error(`invalid key prefix ${JSON.stringify(prefix)}`);
  const s = (id: string) => `${prefix}:${sessionTag(id)}`;
  return {
    prefix,
    /** Set of every session id. */
    sessions: () => `${prefix}:sessions`,
    /** Hash: kind, name, desired state, status, owner, webhook settings. */
    session: (id: string) => `${s(id)}:session`,
    /** Auth creds (one encrypted value). */
    authCreds: (id: string) => `${s(id)}:auth:creds`,
    /** Signal keys (hash, field `<type>:<id>`, encrypted values). */
    authKeys: (id: string) => `${s(id)}:auth:keys`,
    /** SCAN pattern matching exactly one session's auth keys (`s7` never matches `s70`). */
    authPattern: (id: string) => `${s(id)}:auth:*`,
    /** SCAN pattern matching every key of one session, queue included. */
    sessionPattern: (id: string) => `${s(id)}:*`,
    /** Lease value `<workerId>:<fence>`, with a TTL. */
    lease: (id: string) => `${s(id)}:lease`,
    /** Fence counter of a session; only ever increases. */
    fence: (id: string) => `${s(id)}:fence`,
    /** Per-message status record (hash). */
    message: (id: string, messageId: string) => `${s(id)}:msg:${messageId}`,
    /** BullMQ prefix of the session's queues: their keys carry the session's hash tag too. */
    queuePrefix: (id: string) => s(id),
    /** Sorted set of worker heartbeats (score = last heartbeat, ms). */
    workers: () => `${prefix}:workers`,
    /** Hash per worker: capacity, owned count, version, started at. */
    worker: (workerId: string) => `${prefix}:worker:${assertWorkerId(workerId)}`,
    /** Pub/sub channel telling one worker it was assigned or unassigned sessions. */
    workerChannel: (workerId: string) => `${prefix}:worker:${assertWorkerId(workerId)}:notify`,
    /** Hash: session id → worker id. */
    assignments: () => `${prefix}:assignments`,
    /** The coordinator's leader lease and its fence counter (one hash tag: one script touches both). */
    leader: () => `${prefix}:{coordinator}:leader`,
    leaderFence: () => `${prefix}:{coordinator}:fence`,
    /** Capped stream of session events. */
    events: () => `${prefix}:events`,
    /** Prefix for BullMQ queues that are not per session (webhooks, alerts). */
    sharedQueuePrefix: () => `${prefix}:q`,
    /** Hash: API key id → JSON record (name, scopes, sha256 of the secret, created/revoked at). */
    apiKeys: () => `${prefix}:api:keys`,
    /** Request counter of one API key in one fixed rate-limit window (with a TTL). */
    apiRateLimit: (keyId: string, window: number) =>
      `${prefix}:api:ratelimit:${assertWorkerId(keyId)}:${window}`,
    /** Short lock that coalesces concurrent restarts of one session into one command. */
    restartLock: (id: string) => `${s(id)}:restart-lock`,
    /** The simulated phone the no-phone demo created for a session (wa-sim only). */
    demoPhone: (id: string) => `${s(id)}:demo:phone`,
    /** Sorted set of webhook deliveries that used every attempt (score = failed at, ms). */
    webhookDeadLetters: () => `${prefix}:webhooks:dead`,
    /** Sorted set of recent send starts of a session (its sliding-window send rate). */
    sendRate: (id: string) => `${s(id)}:send-rate`,
    /** Hash of a Cloud API session: config, sealed token and app secret, token check results. */
    cloud: (id: string) => `${s(id)}:cloud`,
    /** Cloud API: the Graph message id (wamid) a job's message id was sent as (with a TTL). */
    cloudSent: (id: string, messageId: string) => `${s(id)}:cloud:sent:${messageId}`,
    /** Cloud API: the job message id of a Graph message id, for status webhooks (with a TTL). */
    cloudWamid: (id: string, wamid: string) => `${s(id)}:cloud:wamid:${wamid}`,
    /** Cloud API: marks a webhook message or status id as processed (Meta retries; with a TTL). */
    cloudSeen: (id: string, eventId: string) => `${s(id)}:cloud:seen:${eventId}`,
    /** Hash: alert id (`session:<id>`, `worker:<id>`, `queue:<id>`) → JSON of the open alert (session monitor). */
    alerts: () => `${prefix}:alerts`,
  };
}

export type Keys = ReturnType<typeof createKeys>;
