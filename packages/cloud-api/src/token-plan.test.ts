import { describe, expect, it } from 'vitest';
import { planTokenAction, type TokenAction, type TokenPlanInput } from './token-plan.js';

const DAY = 24 * 3600 * 1000;
const NOW = 1_800_000_000_000;
const ahead = { refreshAheadMs: 7 * DAY, warnAheadMs: 10 * DAY };

describe('planTokenAction', () => {
  const cases: [string, Pick<TokenPlanInput, 'tokenType' | 'expiresAt'>, TokenAction][] = [
    ['user token, no expiry known', { tokenType: 'user', expiresAt: undefined }, 'ok'],
    ['user token that never expires (0)', { tokenType: 'user', expiresAt: 0 }, 'ok'],
    ['user token, 30 days left', { tokenType: 'user', expiresAt: NOW + 30 * DAY }, 'ok'],
    [
      'user token, just outside the warn window',
      { tokenType: 'user', expiresAt: NOW + 10 * DAY + 1 },
      'ok',
    ],
    [
      'user token, 9 days left (warn, not yet refresh)',
      { tokenType: 'user', expiresAt: NOW + 9 * DAY },
      'warn',
    ],
    ['user token, exactly 7 days left', { tokenType: 'user', expiresAt: NOW + 7 * DAY }, 'refresh'],
    ['user token, 1 hour left', { tokenType: 'user', expiresAt: NOW + 3600_000 }, 'refresh'],
    ['user token, expires this millisecond', { tokenType: 'user', expiresAt: NOW }, 'expired'],
    ['user token, expired yesterday', { tokenType: 'user', expiresAt: NOW - DAY }, 'expired'],
    ['system user token, never expires', { tokenType: 'system_user', expiresAt: 0 }, 'ok'],
    [
      'system user token, no expiry known',
      { tokenType: 'system_user', expiresAt: undefined },
      'ok',
    ],
    [
      'system user token, 60 days left',
      { tokenType: 'system_user', expiresAt: NOW + 60 * DAY },
      'ok',
    ],
    [
      'system user token, 9 days left',
      { tokenType: 'system_user', expiresAt: NOW + 9 * DAY },
      'warn',
    ],
    [
      'system user token, 1 hour left (never refreshed)',
      { tokenType: 'system_user', expiresAt: NOW + 3600_000 },
      'warn',
    ],
    ['system user token, expired', { tokenType: 'system_user', expiresAt: NOW - 1 }, 'expired'],
  ];

  it.each(cases)('%s → %s', (_name, input, expected) => {
    expect(planTokenAction({ ...input, now: NOW, ...ahead })).toBe(expected);
  });

  it('refreshes before warning when the refresh window is the wider one', () => {
    const wide = { refreshAheadMs: 14 * DAY, warnAheadMs: 3 * DAY };
    expect(
      planTokenAction({ tokenType: 'user', expiresAt: NOW + 10 * DAY, now: NOW, ...wide }),
    ).toBe('refresh');
    expect(
      planTokenAction({ tokenType: 'system_user', expiresAt: NOW + 10 * DAY, now: NOW, ...wide }),
    ).toBe('ok');
  });
});
