import Long from 'long';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, ProtoLong } from './value-codec.js';

const roundTrip = (v: unknown) => decodeValue(encodeValue(v));

describe('value codec', () => {
  it.each<[string, unknown]>([
    ['null', null],
    ['true', true],
    ['string with NUL and emoji', 'a\0b☃😀'],
    ['integer', 42],
    ['float', 0.1],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['-Infinity', -Infinity],
    ['-0', -0],
    ['bigint', 2n ** 70n],
    ['undefined', undefined],
    ['Date', new Date(1_700_000_000_123)],
    ['array with undefined', [1, undefined, 'x']],
    ['object with undefined field', { a: undefined, b: 1 }],
    ['object with a "$" key', { $: 'b', v: 'AAAA' }],
    ['nested "$" objects', { x: { $: 'o', v: { $: 'u' } } }],
    ['digit keys with number values (BufferJSON makes these a Buffer)', { '0': 1, '1': 2 }],
    ['object that looks like a serialised Buffer', { type: 'Buffer', data: 'AAEC' }],
    ['signed Long', ProtoLong.fromString('-9007199254740993')],
    ['unsigned Long', ProtoLong.fromString('18446744073709551615', true)],
  ])('round-trips %s exactly', (_, value) => {
    const back = roundTrip(value);
    expect(back).toStrictEqual(value);
    if (typeof value === 'number') expect(Object.is(back, value)).toBe(true);
  });

  it('revives any Long as the class Baileys protobuf decoding produces', () => {
    const back = roundTrip(Long.fromString('-42'));
    expect(back).toBeInstanceOf(ProtoLong);
    expect(String(back)).toBe('-42');
  });

  it('keeps Buffer as Buffer and Uint8Array as Uint8Array, bytes intact, views respected', () => {
    const slab = Buffer.from([9, 9, 0x00, 0xff, 0xc3, 0x28, 9]);
    const buffer = slab.subarray(2, 6); // a view into a larger buffer
    const u8 = new Uint8Array([0xed, 0xa0, 0x80, 0x00]);
    const back = roundTrip({ buffer, u8, list: [u8, buffer] }) as Record<string, unknown>;
    expect(Buffer.isBuffer(back.buffer)).toBe(true);
    expect(back.buffer).toEqual(Buffer.from([0x00, 0xff, 0xc3, 0x28]));
    expect(Object.getPrototypeOf(back.u8)).toBe(Uint8Array.prototype);
    expect(Array.from(back.u8 as Uint8Array)).toEqual([0xed, 0xa0, 0x80, 0x00]);
    const list = back.list as unknown[];
    expect(Object.getPrototypeOf(list[0])).toBe(Uint8Array.prototype);
    expect(Buffer.isBuffer(list[1])).toBe(true);
  });

  it('stores class instances as their own fields and "__proto__" keys as plain fields', () => {
    class Message {
      constructor(readonly id: number) {}
      get doubled() {
        return this.id * 2;
      }
    }
    expect(roundTrip(new Message(3))).toStrictEqual({ id: 3 });
    const tricky = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as object;
    const back = roundTrip(tricky) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.keys(back)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each<[string, unknown, RegExp]>([
    ['a function', { f: () => 1 }, /a function at \.f/],
    ['a symbol', [Symbol('x')], /a symbol at \[0\]/],
    ['a Map', { m: new Map() }, /a Map at \.m/],
    ['another typed array', { t: new Uint16Array(2) }, /a Uint16Array at \.t/],
    [
      'a cycle',
      (() => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      })(),
      /nesting deeper/,
    ],
  ])('refuses %s rather than storing something else', (_, value, message) => {
    expect(() => encodeValue(value)).toThrow(message);
  });

  it('refuses bytes it did not write', () => {
    expect(() => decodeValue(Buffer.from('{"a":1}'))).toThrow(/unknown auth value format/);
    expect(() => decodeValue(Buffer.concat([Buffer.from([1]), Buffer.from('{"$":"zz"}')]))).toThrow(
      /unknown tag/,
    );
  });
});
