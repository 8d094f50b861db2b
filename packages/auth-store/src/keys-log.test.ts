import { describe, expect, it } from 'vitest';
import { crc32, encodeRecord, parseLog, type LogEntry } from './keys-log.js';

describe('keys log', () => {
  it('computes the standard CRC-32', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it('round-trips records with puts, deletes, empty values and unicode fields', () => {
    const records: LogEntry[][] = [
      [
        ['session:a', Buffer.from([0, 1, 2])],
        ['pre-key:1', null],
      ],
      [['sender-key:grüße:☃', Buffer.alloc(0)]],
      [],
    ];
    const bytes = Buffer.concat(records.map(encodeRecord));
    expect(parseLog(bytes)).toEqual({ records, validBytes: bytes.length });
  });

  it('stops at a torn or corrupt record, at every possible cut', () => {
    const first = encodeRecord([['session:a', Buffer.from('first')]]);
    const second = encodeRecord([
      ['session:b', Buffer.from('second')],
      ['session:c', null],
    ]);
    const log = Buffer.concat([first, second]);
    for (let cut = 0; cut < log.length; cut++) {
      const parsed = parseLog(log.subarray(0, cut));
      const expected = cut < first.length ? 0 : first.length;
      expect(parsed.validBytes, `cut at ${cut}`).toBe(expected);
      expect(parsed.records).toHaveLength(expected === 0 ? 0 : 1);
    }
    for (let i = 0; i < second.length; i++) {
      const flipped = Buffer.from(log);
      flipped[first.length + i] = (flipped[first.length + i] as number) ^ 0x40;
      expect(parseLog(flipped).validBytes, `flip at ${i}`).toBe(first.length);
    }
  });

  it('refuses fields too long for the format', () => {
    expect(() => encodeRecord([['x'.repeat(70_000), null]])).toThrow(/longer than/);
  });
});
