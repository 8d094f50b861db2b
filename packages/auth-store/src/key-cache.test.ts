import { describe, expect, it } from 'vitest';
import { KeyCache } from './key-cache.js';

const b = (s: string) => Buffer.from(s);

describe('key cache', () => {
  it('holds values written durably and drops deleted ones', () => {
    const cache = new KeyCache(1000);
    cache.writeStarted();
    cache.writeSucceeded([
      ['session:a', b('A')],
      ['session:b', b('B')],
    ]);
    cache.writeStarted();
    cache.writeSucceeded([['session:a', null]]);
    expect(cache.get('session:a')).toBeUndefined();
    expect(cache.get('session:b')).toEqual(b('B'));
  });

  it('keeps values on a refused write and forgets them on any other failure', () => {
    const cache = new KeyCache(1000);
    cache.writeStarted();
    cache.writeSucceeded([['f', b('old')]]);
    cache.writeStarted();
    cache.writeFailed(['f'], true);
    expect(cache.get('f')).toEqual(b('old'));
    cache.writeStarted();
    cache.writeFailed(['f'], false);
    expect(cache.get('f')).toBeUndefined();
  });

  it('misses while a write is in flight and never fills from a read that overlapped a write', () => {
    const cache = new KeyCache(1000);
    cache.writeStarted();
    cache.writeSucceeded([['f', b('v1')]]);
    const before = cache.readStarted();
    cache.writeStarted();
    expect(cache.get('f')).toBeUndefined();
    const during = cache.readStarted();
    cache.writeSucceeded([['f', b('v2')]]);
    cache.fill(before, 'f', b('v1-late'));
    cache.fill(during, 'f', b('v1-late'));
    expect(cache.get('f')).toEqual(b('v2'));
    const after = cache.readStarted();
    cache.fill(after, 'g', b('G'));
    expect(cache.get('g')).toEqual(b('G'));
  });

  it('evicts the least recently used entries beyond its byte budget', () => {
    const cache = new KeyCache(30);
    const token = () => cache.readStarted();
    cache.fill(token(), 'a', b('x'.repeat(9))); // 10 bytes with the field name
    cache.fill(token(), 'b', b('x'.repeat(9)));
    cache.fill(token(), 'c', b('x'.repeat(9)));
    cache.get('a'); // now b is the oldest
    cache.fill(token(), 'd', b('x'.repeat(9)));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toBeDefined();
    expect(cache.get('c')).toBeDefined();
    expect(cache.get('d')).toBeDefined();
    cache.fill(token(), 'huge', b('x'.repeat(100)));
    expect(cache.get('huge')).toBeUndefined();
  });
});
