export { ownershipErrors } from './errors.js';
export {
  fastFailoverVerdict,
  type FastFailoverInput,
  type FastFailoverVerdict,
} from './fast-failover-verdict.js';
export {
  connectedClientNames,
  connectionAgeMs,
  infoField,
  parseClientNames,
  readFailoverEvidence,
  redisUptimeMs,
  type FailoverEvidence,
} from './failover-evidence.js';
export {
  leaseValue,
  parseLeaseValue,
  type AcquireResult,
  type LeaseHolder,
} from './fenced-lease.js';
export {
  LeaderElection,
  type DemotionReason,
  type LeaderElectionOptions,
} from './leader-election.js';
export {
  LeaseKeeper,
  type LeaseKeeperOptions,
  type LeaseLostReason,
  type RenewRoundStats,
} from './lease-keeper.js';
export { type LeaseTiming } from './lease-timing.js';
export {
  planAssignments,
  type AssignmentPlan,
  type Move,
  type MoveReason,
  type PlanInput,
  type PlanSession,
  type PlanWorker,
} from './plan-assignments.js';
export { serverTimeMs } from './server-time.js';
export { SessionLease, type RenewOutcome, type SessionLeaseOptions } from './session-lease.js';
export {
  WorkerRegistry,
  type WorkerHeartbeat,
  type WorkerRecord,
  type WorkerRegistryOptions,
} from './worker-registry.js';
