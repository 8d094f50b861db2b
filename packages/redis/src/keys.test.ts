import { describe, expect, it } from 'vitest';
import { createKeys, sessionTag } from './keys.js';

describe('key schema', () => {
  const keys = createKeys('wf');

  it('hash-tags every per-session key with {s:<id>}', () => {
    const perSession = [
      keys.session('s7'),
      keys.authCreds('s7'),
      keys.authKeys('s7'),
      keys.lease('s7'),
      keys.fence('s7'),
      keys.message('s7', 'ABC'),
      keys.queuePrefix('s7'),
    ];
    for (const key of perSession) {
      // Redis Cluster hashes only what is between the first { and the next }.
      const tag = /\{([^}]*)\}/.exec(key)?.[1];
      expect(tag, key).toBe('s:s7');
    }
  });

  it('keeps one session pattern from matching another session', () => {
    const pattern = keys.authPattern('s7');
    const glob = new RegExp(`^${pattern.replace(/[{}]/g, '\\$&').replace('*', '.*')}$`);
    expect(glob.test(keys.authCreds('s7'))).toBe(true);
    expect(glob.test(keys.authKeys('s7'))).toBe(true);
    expect(glob.test(keys.authCreds('s70'))).toBe(false);
    expect(glob.test(keys.lease('s7'))).toBe(false);
  });

  it('rejects ids that could escape the schema', () => {
    for (const bad of ['', 'a}b', 'a*', 'x:y', 'a b', '{s:1}']) {
      expect(() => sessionTag(bad)).toThrow(/invalid session id/);
    }
    expect(() => keys.worker('w 1')).toThrow(/invalid worker id/);
    expect(() => createKeys('bad prefix')).toThrow(/invalid key prefix/);
  });

  it('keeps the leader lease and its fence in one Cluster slot', () => {
    const tag = (k: string) => /\{([^}]*)\}/.exec(k)?.[1];
    expect(tag(keys.leader())).toBe('coordinator');
    expect(tag(keys.leaderFence())).toBe('coordinator');
  });

  it('uses the prefix everywhere', () => {
    const k = createKeys('t123');
    expect(k.sessions()).toBe('t123:sessions');
    expect(k.assignments()).toBe('t123:assignments');
    expect(k.worker('w1')).toBe('t123:worker:w1');
    expect(k.session('a')).toBe('t123:{s:a}:session');
    expect(k.apiKeys()).toBe('t123:api:keys');
    expect(k.apiRateLimit('key1', 42)).toBe('t123:api:ratelimit:key1:42');
    expect(k.restartLock('a')).toBe('t123:{s:a}:restart-lock');
    expect(k.demoPhone('a')).toBe('t123:{s:a}:demo:phone');
    expect(k.sendRate('a')).toBe('t123:{s:a}:send-rate');
    expect(k.cloud('a')).toBe('t123:{s:a}:cloud');
    expect(k.cloudSent('a', 'm1')).toBe('t123:{s:a}:cloud:sent:m1');
    expect(k.cloudWamid('a', 'wamid.X=')).toBe('t123:{s:a}:cloud:wamid:wamid.X=');
    expect(k.cloudSeen('a', 'e1')).toBe('t123:{s:a}:cloud:seen:e1');
    expect(k.webhookDeadLetters()).toBe('t123:webhooks:dead');
    expect(k.alerts()).toBe('t123:alerts');
  });
});
