import { describe, expect, it } from 'vitest';
import { parseRedisUrl } from './parse-redis-url.js';

describe('parseRedisUrl', () => {
  it.each([
    [
      'redis://127.0.0.1:6379',
      { mode: 'standalone', host: '127.0.0.1', port: 6379, db: 0, tls: false },
    ],
    ['redis://localhost', { mode: 'standalone', host: 'localhost', port: 6379, db: 0, tls: false }],
    [
      'rediss://user:p%40ss@cache.example:6380/2',
      {
        mode: 'standalone',
        host: 'cache.example',
        port: 6380,
        db: 2,
        tls: true,
        username: 'user',
        password: 'p@ss',
      },
    ],
    [
      'redis://:secret@h:1',
      { mode: 'standalone', host: 'h', port: 1, db: 0, tls: false, password: 'secret' },
    ],
    [
      'redis+sentinel://s1:26379,s2/mymaster/1',
      {
        mode: 'sentinel',
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26379 },
        ],
        masterName: 'mymaster',
        db: 1,
        tls: false,
      },
    ],
    [
      'redis+cluster://n1:7000,n2:7001?tls=true',
      {
        mode: 'cluster',
        nodes: [
          { host: 'n1', port: 7000 },
          { host: 'n2', port: 7001 },
        ],
        tls: true,
      },
    ],
  ])('%s', (url, expected) => {
    expect(parseRedisUrl(url)).toEqual(expected);
  });

  it.each([
    'http://x',
    'redis://',
    'redis://a:1,b:2',
    'redis+sentinel://s1',
    'redis://h/db',
    'redis://localhost:abc',
  ])('rejects %s without echoing it', (url) => {
    expect(() => parseRedisUrl(url)).toThrow(/REDIS_URL/);
  });
});
