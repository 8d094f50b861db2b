import { describe, expect, it } from 'vitest';
import {
  countFailure,
  decodeWire,
  encodeWire,
  mergeTallies,
  tallyTotal,
  type BenchCommand,
  type BenchEvent,
} from './bench-wire.js';

describe('bench wire protocol', () => {
  it('round-trips commands and events as one line each', () => {
    const cmd: BenchCommand = { cmd: 'send', round: 3 };
    const line = encodeWire(cmd);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trimEnd()).not.toContain('\n');
    expect(decodeWire<BenchCommand>(line.trimEnd())).toMatchObject(cmd);
    const event: BenchEvent = {
      type: 'connected',
      open: 248,
      failed: 2,
      cpuMs: 1,
      lagMaxMs: 3,
      rssBytes: 2,
      failures: { 'open: timeout': 2 },
    };
    expect(decodeWire<BenchEvent>(encodeWire(event).trimEnd())).toMatchObject(event);
  });

  it.each([
    ['libsignal console.info', 'Closing session: SessionEntry {'],
    ['JSON without the marker', '{"type":"connected","open":1}'],
    ['broken JSON', '{"wa_sim_bench":1,'],
    ['empty line', ''],
  ])('ignores %s', (_what, line) => {
    expect(decodeWire(line)).toBeUndefined();
  });

  it('counts and merges failure tallies by reason', () => {
    const a = {};
    countFailure(a, 'open: timeout');
    countFailure(a, 'open: timeout', 2);
    countFailure(a, 'nothing', 0);
    expect(a).toEqual({ 'open: timeout': 3 });
    const merged = mergeTallies([a, { 'open: timeout': 1, 'send: x': 4 }, {}]);
    expect(merged).toEqual({ 'open: timeout': 4, 'send: x': 4 });
    expect(tallyTotal(merged)).toBe(8);
    expect(tallyTotal({})).toBe(0);
  });
});
