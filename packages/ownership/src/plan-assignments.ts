import { ownershipErrors } from './errors.js';

/** A session as the planner sees it. */
export interface PlanSession {
  readonly id: string;
  readonly desired: 'running' | 'stopped';
  /** Idle sessions (nothing queued, no recent traffic) are the first to be moved when rebalancing. */
  readonly idle?: boolean;
  /** Higher first: gets a slot first when capacity is short; moved and shed last. Default 0. */
  readonly priority?: number;
}

/** A live worker (the caller filters out dead ones: anything missing from this list is dead). */
export interface PlanWorker {
  readonly id: string;
  /** Most sessions it may own; never exceeded. */
  readonly capacity: number;
  /** Draining: gets nothing new, and its sessions are moved away (within the per-tick budget). */
  readonly draining?: boolean;
}

/** Everything the planner needs: desired sessions, live workers, who owns what now. */
export interface PlanInput {
  readonly sessions: readonly PlanSession[];
  readonly workers: readonly PlanWorker[];
  /** Current owner of each session (session id → worker id), dead workers included. */
  readonly owners: ReadonlyMap<string, string>;
  /** Most moves of sessions away from a live owner (rebalance, drain) per tick. */
  readonly maxMovesPerTick: number;
}

/**
 * Why an assignment changed. `place` (unowned → worker), `failover` (dead owner → worker),
 * `over-capacity` (owner's capacity shrank) and `no-capacity` (→ nobody) are not limited per tick;
 * `rebalance` and `drain` move a session away from a live owner and are.
 * `stop`: desired state stopped, or the session no longer exists.
 */
export type MoveReason =
  | 'place'
  | 'failover'
  | 'over-capacity'
  | 'no-capacity'
  | 'rebalance'
  | 'drain'
  | 'stop';

/** One change of the assignment map: `from`/`to` null mean "nobody". */
export interface Move {
  readonly sessionId: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly reason: MoveReason;
}

/** The planner's output. */
export interface AssignmentPlan {
  /** Session id → worker id after this tick, for every running session that has a worker. */
  readonly assignments: Map<string, string>;
  /** Every change against the current owners, in the order decided. */
  readonly moves: Move[];
  /** Running sessions no live worker has room for (sorted). */
  readonly unassigned: string[];
  /** Rebalance/drain moves still needed after this tick (0 = balanced). */
  readonly pendingMoves: number;
}

interface WorkerState {
  readonly id: string;
  readonly capacity: number;
  readonly draining: boolean;
  /** Fair share rounded down and up: balanced means lo ≤ count ≤ hi. */
  lo: number;
  hi: number;
  readonly held: Set<PlanSession>;
}

interface Pending {
  readonly session: PlanSession;
  readonly from: string | null;
  readonly reason: 'place' | 'failover' | 'over-capacity';
}

type Counts = Map<WorkerState, number>;

interface Step {
  readonly donors: WorkerState[];
  readonly receivers: WorkerState[];
  /** Receivers are filled toward `lo` (someone is below their share) or `hi` (only room left). */
  readonly target: 'lo' | 'hi';
}

function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** FNV-1a: a stable, fast hash for rendezvous tie-breaks (same session prefers the same worker). */
function rendezvous(sessionId: string, workerId: string): number {
  let h = 0x811c9dc5;
  const text = `${sessionId}\u0000${workerId}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function priorityOf(s: PlanSession): number {
  return s.priority ?? 0;
}

function invalid(problem: string): Error {
  return ownershipErrors.create('INVALID_PLAN_INPUT', { problem });
}

function validate(input: PlanInput): void {
  if (!Number.isSafeInteger(input.maxMovesPerTick) || input.maxMovesPerTick < 0) {
    throw invalid(`maxMovesPerTick must be an integer >= 0, got ${String(input.maxMovesPerTick)}`);
  }
  const workerIds = new Set<string>();
  for (const w of input.workers) {
    if (workerIds.has(w.id)) throw invalid(`worker ${w.id} listed twice`);
    workerIds.add(w.id);
    if (!Number.isSafeInteger(w.capacity) || w.capacity < 0) {
      throw invalid(`worker ${w.id} capacity must be an integer >= 0, got ${String(w.capacity)}`);
    }
  }
  const sessionIds = new Set<string>();
  for (const s of input.sessions) {
    if (sessionIds.has(s.id)) throw invalid(`session ${s.id} listed twice`);
    sessionIds.add(s.id);
    if (s.priority !== undefined && !Number.isFinite(s.priority)) {
      throw invalid(`session ${s.id} priority must be a finite number`);
    }
  }
}

/** Most worth keeping where it is first: busy before idle, high priority first. */
function keepOrder(a: PlanSession, b: PlanSession): number {
  return (
    Number(a.idle ?? false) - Number(b.idle ?? false) ||
    priorityOf(b) - priorityOf(a) ||
    byString(a.id, b.id)
  );
}

/** Who gets a slot first when capacity is short: high priority, then sessions that were running. */
function placeOrder(a: Pending, b: Pending): number {
  return (
    priorityOf(b.session) - priorityOf(a.session) ||
    Number(a.from === null) - Number(b.from === null) ||
    byString(a.session.id, b.session.id)
  );
}

function count(counts: Counts, w: WorkerState): number {
  return counts.get(w) ?? 0;
}

/**
 * The next kind of move toward balance, or null when balanced (or stuck for room). Donors are
 * above their share, receivers below it; a worker is never both in one convergence run, which is
 * why a session is never moved twice while the inputs stay the same.
 */
function nextStep(all: WorkerState[], active: WorkerState[], counts: Counts): Step | null {
  const over = all.filter((w) => count(counts, w) > w.hi);
  const under = active.filter((w) => count(counts, w) < w.lo);
  if (over.length > 0 && under.length > 0) return { donors: over, receivers: under, target: 'lo' };
  if (over.length > 0) {
    const room = active.filter((w) => count(counts, w) < w.hi);
    if (room.length > 0) return { donors: over, receivers: room, target: 'hi' };
  }
  if (under.length > 0) {
    const spare = active.filter((w) => count(counts, w) > w.lo);
    if (spare.length > 0) return { donors: spare, receivers: under, target: 'lo' };
  }
  return null;
}

/** The receiver with the biggest gap to its target; ties: least loaded, then rendezvous hash. */
function pickReceiver(
  receivers: WorkerState[],
  target: 'lo' | 'hi',
  counts: Counts,
  sessionId: string,
): WorkerState | undefined {
  let best: WorkerState | undefined;
  let bestKey: [number, number, number] = [0, 0, 0];
  for (const w of receivers) {
    const n = count(counts, w);
    const key: [number, number, number] = [
      (target === 'lo' ? w.lo : w.hi) - n,
      -(n / w.capacity),
      rendezvous(sessionId, w.id),
    ];
    if (
      !best ||
      key[0] > bestKey[0] ||
      (key[0] === bestKey[0] &&
        (key[1] > bestKey[1] ||
          (key[1] === bestKey[1] &&
            (key[2] > bestKey[2] || (key[2] === bestKey[2] && w.id < best.id)))))
    ) {
      best = w;
      bestKey = key;
    }
  }
  return best;
}

/** Where a newly placed session goes: below-share workers first, then any room up to `hi`. */
function placementTarget(
  active: WorkerState[],
  counts: Counts,
  sessionId: string,
): WorkerState | undefined {
  const under = active.filter((w) => count(counts, w) < w.lo);
  if (under.length > 0) return pickReceiver(under, 'lo', counts, sessionId);
  const room = active.filter((w) => count(counts, w) < w.hi);
  return pickReceiver(room, 'hi', counts, sessionId);
}

/** The session to move: from a draining worker first, idle first, low priority first. */
function pickSession(
  donors: WorkerState[],
  counts: Counts,
): { session: PlanSession; donor: WorkerState } | undefined {
  let best: { session: PlanSession; donor: WorkerState } | undefined;
  const rank = (s: PlanSession, d: WorkerState) =>
    [d.draining ? 0 : 1, s.idle ? 0 : 1, priorityOf(s), -(count(counts, d) - d.hi)] as const;
  for (const donor of donors) {
    for (const session of donor.held) {
      if (!best) {
        best = { session, donor };
        continue;
      }
      const a = rank(session, donor);
      const b = rank(best.session, best.donor);
      let cmp = 0;
      for (let i = 0; i < a.length && cmp === 0; i++) cmp = (a[i] ?? 0) - (b[i] ?? 0);
      if (cmp === 0) cmp = byString(session.id, best.session.id);
      if (cmp < 0) best = { session, donor };
    }
  }
  return best;
}

/**
 * Plans which worker owns which session. Pure and deterministic (input order does not matter):
 * - sticky: a live owner keeps its sessions unless it is over capacity, draining, or above its
 *   fair share while another worker is below it;
 * - unowned and dead-owner sessions are placed at once (not limited by `maxMovesPerTick`: they
 *   have no socket to disturb), below-share workers first;
 * - capacity-aware: no worker ever exceeds its capacity; what does not fit stays unassigned;
 * - balanced: fair share = capacity-weighted share of the assigned sessions; repeated ticks reach
 *   `floor(share) ≤ count ≤ ceil(share)` on every non-draining worker;
 * - at most `maxMovesPerTick` moves away from live owners (drain first, then idle sessions first).
 */
export function planAssignments(input: PlanInput): AssignmentPlan {
  validate(input);
  const sessions = [...input.sessions].sort((a, b) => byString(a.id, b.id));
  const sessionById = new Map(sessions.map((s) => [s.id, s]));
  const workers = new Map<string, WorkerState>();
  for (const w of [...input.workers].sort((a, b) => byString(a.id, b.id))) {
    workers.set(w.id, {
      id: w.id,
      capacity: w.capacity,
      draining: w.draining ?? false,
      lo: 0,
      hi: 0,
      held: new Set(),
    });
  }
  const moves: Move[] = [];
  const pool: Pending[] = [];

  const owners = [...input.owners].sort((a, b) => byString(a[0], b[0]));
  for (const [sessionId, workerId] of owners) {
    const session = sessionById.get(sessionId);
    if (!session || session.desired !== 'running') {
      moves.push({ sessionId, from: workerId, to: null, reason: 'stop' });
      continue;
    }
    const worker = workers.get(workerId);
    if (worker) worker.held.add(session);
    else pool.push({ session, from: workerId, reason: 'failover' });
  }
  for (const session of sessions) {
    if (session.desired === 'running' && !input.owners.has(session.id)) {
      pool.push({ session, from: null, reason: 'place' });
    }
  }

  for (const w of workers.values()) {
    if (w.held.size <= w.capacity) continue;
    for (const session of [...w.held].sort(keepOrder).slice(w.capacity)) {
      w.held.delete(session);
      pool.push({ session, from: w.id, reason: 'over-capacity' });
    }
  }

  const all = [...workers.values()];
  const active = all.filter((w) => !w.draining && w.capacity > 0);
  const totalCapacity = active.reduce((sum, w) => sum + w.capacity, 0);
  const running = sessions.filter((s) => s.desired === 'running').length;
  const target = Math.min(running, totalCapacity);
  for (const w of active) {
    // Exact integer shares; a quotient of integers is exact in floating point when it is whole.
    const share = (target * w.capacity) / totalCapacity;
    w.lo = Math.floor(share);
    w.hi = Math.ceil(share);
  }
  const counts: Counts = new Map(all.map((w) => [w, w.held.size]));

  const unassigned: string[] = [];
  for (const p of pool.sort(placeOrder)) {
    const to = placementTarget(active, counts, p.session.id);
    if (to) {
      to.held.add(p.session);
      counts.set(to, count(counts, to) + 1);
      moves.push({ sessionId: p.session.id, from: p.from, to: to.id, reason: p.reason });
    } else {
      unassigned.push(p.session.id);
      if (p.from !== null) {
        moves.push({ sessionId: p.session.id, from: p.from, to: null, reason: 'no-capacity' });
      }
    }
  }

  for (let budget = input.maxMovesPerTick; budget > 0; budget--) {
    const step = nextStep(all, active, counts);
    const pick = step && pickSession(step.donors, counts);
    const to = step && pick && pickReceiver(step.receivers, step.target, counts, pick.session.id);
    if (!pick || !to) break;
    pick.donor.held.delete(pick.session);
    counts.set(pick.donor, count(counts, pick.donor) - 1);
    to.held.add(pick.session);
    counts.set(to, count(counts, to) + 1);
    moves.push({
      sessionId: pick.session.id,
      from: pick.donor.id,
      to: to.id,
      reason: pick.donor.draining ? 'drain' : 'rebalance',
    });
  }

  // How many more ticks' worth of moves remain: the same steps, on counts only.
  const simulated: Counts = new Map(counts);
  let pendingMoves = 0;
  for (let step = nextStep(all, active, simulated); step; ) {
    const donor = step.donors[0];
    const to = step.receivers[0];
    if (!donor || !to) break;
    simulated.set(donor, count(simulated, donor) - 1);
    simulated.set(to, count(simulated, to) + 1);
    pendingMoves++;
    step = nextStep(all, active, simulated);
  }

  const owned: [string, string][] = [];
  for (const w of all) for (const s of w.held) owned.push([s.id, w.id]);
  const assignments = new Map(owned.sort((a, b) => byString(a[0], b[0])));
  return { assignments, moves, unassigned: unassigned.sort(byString), pendingMoves };
}
