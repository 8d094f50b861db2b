import { describe, expect, it } from 'vitest';
import { ScanTokens } from './scan-token.js';

const ADMIN = 'admin-key-'.padEnd(40, 'x');
const NOW = 1_800_000_000_000;

describe('ScanTokens', () => {
  const tokens = new ScanTokens(undefined, ADMIN);
  const { token, expiresAt } = tokens.issue('s1', 600, NOW);

  it('issues a token that expires after the ttl', () => {
    expect(expiresAt).toBe(NOW + 600_000);
    expect(token).toMatch(/^\d+\.[A-Za-z0-9_-]{43}$/);
  });

  it.each([
    ['the same session before expiry', 's1', token, NOW + 599_000, { ok: true, expiresAt }],
    ['at expiry', 's1', token, NOW + 600_000, { ok: false, reason: 'expired' }],
    ['another session', 's2', token, NOW, { ok: false, reason: 'invalid' }],
    ['a session whose id extends this one', 's10', token, NOW, { ok: false, reason: 'invalid' }],
    [
      'a later expiry with the old signature',
      's1',
      token.replace(/^\d+/, (e) => String(Number(e) + 3600)),
      NOW,
      { ok: false, reason: 'invalid' },
    ],
    [
      'a flipped signature character',
      's1',
      token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A'),
      NOW,
      { ok: false, reason: 'invalid' },
    ],
    ['no token', 's1', undefined, NOW, { ok: false, reason: 'invalid' }],
    ['an empty token', 's1', '', NOW, { ok: false, reason: 'invalid' }],
    ['garbage', 's1', 'abc.def', NOW, { ok: false, reason: 'invalid' }],
    [
      'an array (repeated query parameter)',
      's1',
      [token, token],
      NOW,
      { ok: false, reason: 'invalid' },
    ],
  ])('%s', (_name, session, given, now, expected) => {
    expect(tokens.verify(session, given, now)).toEqual(expected);
  });

  it('a token from another secret does not verify; SCAN_TOKEN_SECRET replaces the derived key', () => {
    const other = new ScanTokens(undefined, ADMIN.replace('x', 'y'));
    expect(other.verify('s1', token, NOW)).toEqual({ ok: false, reason: 'invalid' });
    const explicit = new ScanTokens('s'.repeat(32), ADMIN);
    expect(explicit.verify('s1', token, NOW)).toEqual({ ok: false, reason: 'invalid' });
    expect(explicit.verify('s1', explicit.issue('s1', 60, NOW).token, NOW).ok).toBe(true);
  });
});
