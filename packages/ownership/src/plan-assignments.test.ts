import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  planAssignments,
  type AssignmentPlan,
  type Move,
  type PlanInput,
  type PlanSession,
  type PlanWorker,
} from './plan-assignments.js';

const running = (id: string, extra: Partial<PlanSession> = {}): PlanSession => ({
  id,
  desired: 'running',
  ...extra,
});
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
const owned = (entries: Record<string, string[]>) =>
  new Map(Object.entries(entries).flatMap(([w, ss]) => ss.map((s) => [s, w] as const)));

function countsOf(plan: AssignmentPlan): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const w of plan.assignments.values()) counts[w] = (counts[w] ?? 0) + 1;
  return counts;
}

function reasons(moves: Move[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of moves) out[m.reason] = (out[m.reason] ?? 0) + 1;
  return out;
}

const limited = (m: Move) => m.reason === 'rebalance' || m.reason === 'drain';

describe('planAssignments (table)', () => {
  const cases: {
    name: string;
    input: PlanInput;
    counts: Record<string, number>;
    reasons: Record<string, number>;
    unassigned?: string[];
    pending?: number;
    check?: (plan: AssignmentPlan) => void;
  }[] = [
    {
      name: 'no live workers: everything is unassigned and reported',
      input: {
        sessions: ids('s', 3).map((id) => running(id)),
        workers: [],
        owners: new Map(),
        maxMovesPerTick: 5,
      },
      counts: {},
      reasons: {},
      unassigned: ['s0', 's1', 's2'],
    },
    {
      name: 'unowned sessions are spread evenly',
      input: {
        sessions: ids('s', 4).map((id) => running(id)),
        workers: [
          { id: 'a', capacity: 10 },
          { id: 'b', capacity: 10 },
        ],
        owners: new Map(),
        maxMovesPerTick: 0,
      },
      counts: { a: 2, b: 2 },
      reasons: { place: 4 },
    },
    {
      name: 'placements are not limited by maxMovesPerTick',
      input: {
        sessions: ids('s', 30).map((id) => running(id)),
        workers: [{ id: 'a', capacity: 100 }],
        owners: new Map(),
        maxMovesPerTick: 1,
      },
      counts: { a: 30 },
      reasons: { place: 30 },
    },
    {
      name: 'a joining worker takes only maxMovesPerTick sessions per tick (sticky)',
      input: {
        sessions: ids('s', 10).map((id) => running(id)),
        workers: [
          { id: 'a', capacity: 10 },
          { id: 'b', capacity: 10 },
        ],
        owners: owned({ a: ids('s', 10) }),
        maxMovesPerTick: 2,
      },
      counts: { a: 8, b: 2 },
      reasons: { rebalance: 2 },
      pending: 3,
    },
    {
      name: 'within one session of fair share is balanced: no move',
      input: {
        sessions: ids('s', 3).map((id) => running(id)),
        workers: [
          { id: 'a', capacity: 10 },
          { id: 'b', capacity: 10 },
        ],
        owners: owned({ a: ['s1'], b: ['s0', 's2'] }),
        maxMovesPerTick: 5,
      },
      counts: { a: 1, b: 2 },
      reasons: {},
      pending: 0,
    },
    {
      name: 'sessions of a dead owner fail over at once, whatever the budget',
      input: {
        sessions: ids('s', 6).map((id) => running(id)),
        workers: [
          { id: 'a', capacity: 10 },
          { id: 'b', capacity: 10 },
        ],
        owners: owned({ a: ['s0', 's1'], gone: ['s2', 's3', 's4', 's5'] }),
        maxMovesPerTick: 0,
      },
      counts: { a: 3, b: 3 },
      reasons: { failover: 4 },
      check: (plan) => {
        // Failover fills the worker below its share first: b gets 3, a only 1.
        expect(plan.moves.filter((m) => m.to === 'b')).toHaveLength(3);
        expect(plan.moves.every((m) => m.from === 'gone')).toBe(true);
      },
    },
    {
      name: 'fair share is weighted by capacity',
      input: {
        sessions: ids('s', 8).map((id) => running(id)),
        workers: [
          { id: 'a', capacity: 30 },
          { id: 'b', capacity: 10 },
        ],
        owners: new Map(),
        maxMovesPerTick: 0,
      },
      counts: { a: 6, b: 2 },
      reasons: { place: 8 },
    },
    {
      name: 'beyond total capacity: the highest priority sessions get the slots, the rest are reported',
      input: {
        sessions: [
          running('low1'),
          running('vip', { priority: 5 }),
          running('low2'),
          running('mid', { priority: 1 }),
          running('low3'),
        ],
        workers: [
          { id: 'a', capacity: 2 },
          { id: 'b', capacity: 1 },
        ],
        owners: new Map(),
        maxMovesPerTick: 3,
      },
      counts: { a: 2, b: 1 },
      reasons: { place: 3 },
      unassigned: ['low2', 'low3'],
      check: (plan) => {
        expect(plan.assignments.has('vip')).toBe(true);
        expect(plan.assignments.has('mid')).toBe(true);
        expect(plan.assignments.has('low1')).toBe(true);
      },
    },
    {
      name: 'sticky beats priority: a running session is not displaced by a new one',
      input: {
        sessions: [running('old'), running('vip', { priority: 9 })],
        workers: [{ id: 'a', capacity: 1 }],
        owners: owned({ a: ['old'] }),
        maxMovesPerTick: 3,
      },
      counts: { a: 1 },
      reasons: {},
      unassigned: ['vip'],
    },
    {
      name: 'a draining worker gets nothing new and its sessions move within the budget',
      input: {
        sessions: [...ids('d', 3), 'new'].map((id) => running(id)),
        workers: [
          { id: 'a', capacity: 10, draining: true },
          { id: 'b', capacity: 10 },
        ],
        owners: owned({ a: ids('d', 3) }),
        maxMovesPerTick: 2,
      },
      counts: { a: 1, b: 3 },
      reasons: { place: 1, drain: 2 },
      pending: 1,
      check: (plan) => expect(plan.assignments.get('new')).toBe('b'),
    },
    {
      name: 'a draining worker keeps what nobody has room for',
      input: {
        sessions: ids('s', 4).map((id) => running(id)),
        workers: [
          { id: 'a', capacity: 10, draining: true },
          { id: 'b', capacity: 1 },
        ],
        owners: owned({ a: ids('s', 4) }),
        maxMovesPerTick: 10,
      },
      counts: { a: 3, b: 1 },
      reasons: { drain: 1 },
      pending: 0,
    },
    {
      name: 'a worker over capacity sheds its idle sessions first, whatever the budget',
      input: {
        sessions: [running('s0'), running('s1', { idle: true }), running('s2'), running('s3')],
        workers: [
          { id: 'a', capacity: 2 },
          { id: 'b', capacity: 10 },
        ],
        owners: owned({ a: ids('s', 4) }),
        maxMovesPerTick: 0,
      },
      counts: { a: 2, b: 2 },
      reasons: { 'over-capacity': 2 },
      check: (plan) => {
        expect(plan.assignments.get('s1')).toBe('b');
        expect(plan.assignments.get('s0')).toBe('a');
      },
    },
    {
      name: 'rebalancing moves idle sessions first',
      input: {
        sessions: [
          running('s0'),
          running('s1', { idle: true }),
          running('s2'),
          running('s3', { idle: true }),
        ],
        workers: [
          { id: 'a', capacity: 10 },
          { id: 'b', capacity: 10 },
        ],
        owners: owned({ a: ids('s', 4) }),
        maxMovesPerTick: 2,
      },
      counts: { a: 2, b: 2 },
      reasons: { rebalance: 2 },
      check: (plan) => {
        expect(plan.moves.map((m) => m.sessionId).sort()).toEqual(['s1', 's3']);
      },
    },
    {
      name: 'stopped and deleted sessions are unassigned',
      input: {
        sessions: [running('s0'), { id: 's1', desired: 'stopped' }],
        workers: [{ id: 'a', capacity: 10 }],
        owners: owned({ a: ['s0', 's1', 'deleted'] }),
        maxMovesPerTick: 0,
      },
      counts: { a: 1 },
      reasons: { stop: 2 },
      check: (plan) => {
        expect(plan.assignments.has('s1')).toBe(false);
        expect(plan.moves).toContainEqual({
          sessionId: 'deleted',
          from: 'a',
          to: null,
          reason: 'stop',
        });
      },
    },
    {
      name: 'a dead owner with nowhere to go becomes unassigned',
      input: {
        sessions: [running('s0')],
        workers: [{ id: 'a', capacity: 0 }],
        owners: owned({ gone: ['s0'] }),
        maxMovesPerTick: 0,
      },
      counts: {},
      reasons: { 'no-capacity': 1 },
      unassigned: ['s0'],
    },
  ];

  it.each(cases)('$name', (c) => {
    const plan = planAssignments(c.input);
    expect(countsOf(plan)).toEqual(c.counts);
    expect(reasons(plan.moves)).toEqual(c.reasons);
    expect(plan.unassigned).toEqual(c.unassigned ?? []);
    if (c.pending !== undefined) expect(plan.pendingMoves).toBe(c.pending);
    c.check?.(plan);
  });

  it('rejects invalid input', () => {
    const base: PlanInput = { sessions: [], workers: [], owners: new Map(), maxMovesPerTick: 1 };
    expect(() => planAssignments({ ...base, maxMovesPerTick: -1 })).toThrow(/maxMovesPerTick/);
    expect(() => planAssignments({ ...base, workers: [{ id: 'a', capacity: 1.5 }] })).toThrow(
      /capacity/,
    );
    expect(() =>
      planAssignments({
        ...base,
        workers: [
          { id: 'a', capacity: 1 },
          { id: 'a', capacity: 1 },
        ],
      }),
    ).toThrow(/twice/);
    expect(() => planAssignments({ ...base, sessions: [running('s'), running('s')] })).toThrow(
      /twice/,
    );
  });
});

// ---- property test -------------------------------------------------------------------------

const inputArb = fc
  .record({
    workers: fc.array(
      fc.record({ capacity: fc.integer({ min: 0, max: 15 }), draining: fc.boolean() }),
      { minLength: 0, maxLength: 7 },
    ),
    sessions: fc.array(
      fc.record({
        running: fc.boolean().chain((b) => (b ? fc.constant(true) : fc.boolean())),
        idle: fc.boolean(),
        priority: fc.integer({ min: 0, max: 3 }),
        // Index into workers, a dead worker (-1, -2) or unowned (null).
        owner: fc.option(fc.integer({ min: -2, max: 6 }), { nil: null }),
      }),
      { minLength: 0, maxLength: 70 },
    ),
    maxMovesPerTick: fc.integer({ min: 1, max: 6 }),
  })
  .map(({ workers, sessions, maxMovesPerTick }): PlanInput => {
    const planWorkers: PlanWorker[] = workers.map((w, i) => ({
      id: `w${i}`,
      capacity: w.capacity,
      draining: w.draining,
    }));
    const owners = new Map<string, string>();
    const planSessions: PlanSession[] = sessions.map((s, i) => {
      const id = `s${i}`;
      if (s.owner !== null) {
        const owner = s.owner < 0 ? `dead${-s.owner}` : planWorkers[s.owner]?.id;
        if (owner) owners.set(id, owner);
      }
      return { id, desired: s.running ? 'running' : 'stopped', idle: s.idle, priority: s.priority };
    });
    return { sessions: planSessions, workers: planWorkers, owners, maxMovesPerTick };
  });

function checkTick(input: PlanInput, plan: AssignmentPlan): void {
  const workers = new Map(input.workers.map((w) => [w.id, w]));
  const sessions = new Map(input.sessions.map((s) => [s.id, s]));
  const load = new Map<string, number>();
  for (const [sessionId, workerId] of plan.assignments) {
    expect(workers.has(workerId)).toBe(true);
    expect(sessions.get(sessionId)?.desired).toBe('running');
    load.set(workerId, (load.get(workerId) ?? 0) + 1);
  }
  // No worker over capacity.
  for (const [workerId, n] of load) expect(n).toBeLessThanOrEqual(workers.get(workerId)!.capacity);
  // Each session appears at most once among the moves of a tick.
  const moved = plan.moves.map((m) => m.sessionId);
  expect(new Set(moved).size).toBe(moved.length);
  // Bounded rebalancing.
  expect(plan.moves.filter(limited).length).toBeLessThanOrEqual(input.maxMovesPerTick);
  // Moves describe exactly the difference between owners and assignments.
  const byId = new Map(plan.moves.map((m) => [m.sessionId, m]));
  const everyId = new Set([...input.owners.keys(), ...plan.assignments.keys()]);
  for (const id of everyId) {
    const from = input.owners.get(id) ?? null;
    const to = plan.assignments.get(id) ?? null;
    const move = byId.get(id);
    if (from === to) expect(move).toBeUndefined();
    else expect(move).toMatchObject({ from, to });
  }
  for (const m of plan.moves) {
    // Draining workers never receive; live owners lose sessions only for a reason.
    if (m.to !== null) expect(workers.get(m.to)?.draining).not.toBe(true);
    if (m.from !== null && workers.has(m.from) && m.to !== null) {
      expect(['rebalance', 'drain', 'over-capacity']).toContain(m.reason);
    }
  }
  // Every running session is either assigned or reported.
  for (const s of input.sessions) {
    if (s.desired !== 'running') continue;
    expect(plan.assignments.has(s.id) !== plan.unassigned.includes(s.id)).toBe(true);
  }
}

describe('planAssignments (properties)', () => {
  it('keeps its invariants on every tick and converges to weighted balance, moving each session at most once', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        let owners = input.owners;
        const movesPerSession = new Map<string, number>();
        const maxTicks = input.sessions.length + 3;
        let ticks = 0;
        let plan: AssignmentPlan;
        for (;;) {
          const tickInput = { ...input, owners };
          plan = planAssignments(tickInput);
          checkTick(tickInput, plan);
          for (const m of plan.moves) {
            if (m.reason === 'stop') continue;
            movesPerSession.set(m.sessionId, (movesPerSession.get(m.sessionId) ?? 0) + 1);
          }
          ticks++;
          if (plan.moves.length === 0) break;
          expect(ticks).toBeLessThan(maxTicks);
          owners = plan.assignments;
        }
        expect(plan.pendingMoves).toBe(0);
        for (const n of movesPerSession.values()) expect(n).toBe(1);

        const active = input.workers.filter((w) => !w.draining && w.capacity > 0);
        const capacity = active.reduce((sum, w) => sum + w.capacity, 0);
        const runningCount = input.sessions.filter((s) => s.desired === 'running').length;
        const target = Math.min(runningCount, capacity);
        const load = countsOf(plan);
        for (const w of active) {
          const share = (target * w.capacity) / capacity;
          expect(Math.abs((load[w.id] ?? 0) - share)).toBeLessThan(1);
        }
        if (runningCount <= capacity) {
          expect(plan.unassigned).toEqual([]);
          for (const w of input.workers) if (w.draining) expect(load[w.id] ?? 0).toBe(0);
        }
      }),
      { numRuns: 400, seed: 20240601 },
    );
  });

  it('is deterministic and ignores input order', () => {
    fc.assert(
      fc.property(inputArb, fc.integer(), (input, salt) => {
        const shuffle = <T>(xs: readonly T[]) =>
          [...xs]
            .map((x, i) => ({ x, k: Math.imul(i + 1, salt | 1) >>> 0 }))
            .sort((a, b) => a.k - b.k)
            .map((e) => e.x);
        const a = planAssignments(input);
        const b = planAssignments({
          ...input,
          sessions: shuffle(input.sessions),
          workers: shuffle(input.workers),
          owners: new Map(shuffle([...input.owners])),
        });
        expect([...b.assignments]).toEqual([...a.assignments]);
        expect(b.moves).toEqual(a.moves);
        expect(b.unassigned).toEqual(a.unassigned);
        expect(b.pendingMoves).toBe(a.pendingMoves);
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
