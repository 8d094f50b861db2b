import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Every wafleet metric, in one place (names `wafleet_*`, base units, `_total` counters, bounded
 * labels: state, kind, code, outcome, reason, op — never a phone number, token or session id
 * unless per-session series are explicitly enabled).
 */
export function createWafleetMetrics(registry: Registry) {
  const r = [registry];
  return {
    sessions: new Gauge({
      name: 'wafleet_sessions',
      help: 'Sessions held by this process, by state and kind.',
      labelNames: ['state', 'kind'] as const,
      registers: r,
    }),
    sessionConnects: new Counter({
      name: 'wafleet_session_connects_total',
      help: 'Sockets that reached open.',
      labelNames: ['kind'] as const,
      registers: r,
    }),
    sessionDisconnects: new Counter({
      name: 'wafleet_session_disconnects_total',
      help: 'Socket closes by Baileys disconnect code.',
      labelNames: ['code'] as const,
      registers: r,
    }),
    reconnectAttempts: new Counter({
      name: 'wafleet_session_reconnect_attempts_total',
      help: 'Reconnects scheduled by the reconnect policy.',
      registers: r,
    }),
    lastConnected: new Gauge({
      name: 'wafleet_session_last_connected_timestamp_seconds',
      help: 'Oldest last-open time among sessions in each state (unix seconds); 0 when none.',
      labelNames: ['state'] as const,
      registers: r,
    }),
    ownedSessions: new Gauge({
      name: 'wafleet_worker_owned_sessions',
      help: 'Sessions whose lease this worker holds.',
      registers: r,
    }),
    leaseAcquisitions: new Counter({
      name: 'wafleet_lease_acquisitions_total',
      help: 'Session leases acquired.',
      registers: r,
    }),
    leaseRenewFailures: new Counter({
      name: 'wafleet_lease_renew_failures_total',
      help: 'Lease renewals that failed or found the lease lost.',
      registers: r,
    }),
    fenceRejections: new Counter({
      name: 'wafleet_fence_rejections_total',
      help: 'Writes refused because a newer fence exists.',
      labelNames: ['op'] as const,
      registers: r,
    }),
    failovers: new Counter({
      name: 'wafleet_failovers_total',
      help: 'Sessions reassigned away from a dead worker.',
      labelNames: ['path'] as const,
      registers: r,
    }),
    failoverDuration: new Histogram({
      name: 'wafleet_failover_duration_seconds',
      help: 'From a dead worker detected to its sessions reassigned.',
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
      registers: r,
    }),
    sendJobs: new Counter({
      name: 'wafleet_send_jobs_total',
      help: 'Send jobs finished, by outcome and reason.',
      labelNames: ['outcome', 'reason'] as const,
      registers: r,
    }),
    sendLatency: new Histogram({
      name: 'wafleet_send_latency_seconds',
      help: 'From enqueue to the server ack.',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: r,
    }),
    queueJobs: new Gauge({
      name: 'wafleet_queue_jobs',
      help: 'Send queue jobs by state (waiting, delayed, failed) and kind.',
      labelNames: ['state', 'kind'] as const,
      registers: r,
    }),
    webhookDeliveries: new Counter({
      name: 'wafleet_webhook_deliveries_total',
      help: 'Webhook deliveries by outcome.',
      labelNames: ['outcome'] as const,
      registers: r,
    }),
    authStoreOps: new Histogram({
      name: 'wafleet_auth_store_operation_seconds',
      help: 'Auth state store operation latency.',
      labelNames: ['op', 'ok'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: r,
    }),
    cloudApiCalls: new Counter({
      name: 'wafleet_cloud_api_calls_total',
      help: 'Cloud API calls by HTTP status and Graph error code.',
      labelNames: ['status', 'code'] as const,
      registers: r,
    }),
    cloudTokenExpiry: new Gauge({
      name: 'wafleet_cloud_token_expiry_timestamp_seconds',
      help: 'Earliest Cloud API token expiry (unix seconds); 0 for never.',
      registers: r,
    }),
    coordinatorLeader: new Gauge({
      name: 'wafleet_coordinator_leader',
      help: '1 while this coordinator is the leader.',
      registers: r,
    }),
    sessionAlerts: new Gauge({
      name: 'wafleet_session_alerts',
      help: 'Open alerts by kind.',
      labelNames: ['kind'] as const,
      registers: r,
    }),
    // Cluster-wide views, set by the leading coordinator's session monitor (0 series on standbys).
    clusterSessions: new Gauge({
      name: 'wafleet_cluster_sessions',
      help: 'Every session in Redis by recorded state and kind (leader coordinator only).',
      labelNames: ['state', 'kind'] as const,
      registers: r,
    }),
    sessionsDown: new Gauge({
      name: 'wafleet_sessions_down',
      help: 'Sessions desired running whose state is not open (leader coordinator only).',
      labelNames: ['kind'] as const,
      registers: r,
    }),
    sessionsUnowned: new Gauge({
      name: 'wafleet_sessions_unowned',
      help: 'Baileys sessions desired running with no live owner (leader coordinator only).',
      registers: r,
    }),
    workers: new Gauge({
      name: 'wafleet_workers',
      help: 'Registered workers by status: live, draining, dead (leader coordinator only).',
      labelNames: ['status'] as const,
      registers: r,
    }),
    monitorLastRun: new Gauge({
      name: 'wafleet_monitor_last_run_timestamp_seconds',
      help: 'When the session monitor last finished a pass (unix seconds).',
      registers: r,
    }),
    alertNotifications: new Counter({
      name: 'wafleet_alert_notifications_total',
      help: 'Alert webhook notifications by event (opened, resolved) and outcome.',
      labelNames: ['event', 'outcome'] as const,
      registers: r,
    }),
    /**
     * Per-session series: set only with METRICS_PER_SESSION=true, and then labelled by session id
     * alone (never a phone number or jid). Cardinality grows with the fleet: opt in knowingly.
     */
    sessionLastConnectedBySession: new Gauge({
      name: 'wafleet_session_last_connected_by_session_timestamp_seconds',
      help: 'Last time each session reached open (unix seconds); only with METRICS_PER_SESSION=true.',
      labelNames: ['session_id'] as const,
      registers: r,
    }),
  };
}

export type WafleetMetrics = ReturnType<typeof createWafleetMetrics>;
