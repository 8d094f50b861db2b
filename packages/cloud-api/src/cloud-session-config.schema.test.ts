import { describe, expect, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import {
  cloudSessionConfigSchema,
  type CloudSessionConfig,
} from './cloud-session-config.schema.js';

const TOKEN = 'EAAGm0PX4ZCpsBAKZCZAr9ZBQ3OZBL1ZCZBtZAV';
const minimal = { phoneNumberId: '106540352242922', accessToken: TOKEN };

function problems(input: unknown): Record<string, string> {
  const result = cloudSessionConfigSchema.safeParse(input);
  if (result.success) return {};
  return Object.fromEntries(result.error.issues.map((i) => [i.path.join('.'), i.message]));
}

describe('cloudSessionConfigSchema', () => {
  it('applies defaults and parses into what the store takes', () => {
    const config = cloudSessionConfigSchema.parse(minimal);
    expect(config).toEqual({
      ...minimal,
      tokenType: 'system_user',
      graphVersion: 'v21.0',
      baseUrl: 'https://graph.facebook.com',
    });
    expectTypeOf<z.output<typeof cloudSessionConfigSchema>>().toExtend<CloudSessionConfig>();
  });

  it('accepts a full user-token configuration and normalises the base URL', () => {
    const config = cloudSessionConfigSchema.parse({
      ...minimal,
      wabaId: '102290129340398',
      tokenType: 'user',
      appId: '1234567890',
      appSecret: 'a3f1c2d4e5b6a7980123456789abcdef',
      webhookVerifyToken: 'verify-me-please',
      graphVersion: 'v23.0',
      baseUrl: 'http://127.0.0.1:4010/',
      tokenExpiresAt: 1_800_000_000_000,
    });
    expect(config.baseUrl).toBe('http://127.0.0.1:4010');
    expect(config.tokenType).toBe('user');
  });

  const bad: [string, unknown, string, RegExp][] = [
    [
      'phone number id with letters',
      { ...minimal, phoneNumberId: '+1555' },
      'phoneNumberId',
      /digits/,
    ],
    ['missing phone number id', { accessToken: TOKEN }, 'phoneNumberId', /phone number id/],
    ['waba id with letters', { ...minimal, wabaId: 'abc' }, 'wabaId', /digits/],
    ['short token', { ...minimal, accessToken: 'EAA123' }, 'accessToken', /at least 20/],
    [
      'token with a space',
      { ...minimal, accessToken: `${TOKEN} x` },
      'accessToken',
      /visible ASCII/,
    ],
    [
      'token too long',
      { ...minimal, accessToken: 'E'.repeat(4097) },
      'accessToken',
      /at most 4096/,
    ],
    ['unknown token type', { ...minimal, tokenType: 'page' }, 'tokenType', /system_user or user/],
    ['short app secret', { ...minimal, appSecret: 'short' }, 'appSecret', /at least 16/],
    [
      'short verify token',
      { ...minimal, webhookVerifyToken: 'abc' },
      'webhookVerifyToken',
      /at least 8/,
    ],
    [
      'graph version without v',
      { ...minimal, graphVersion: '21.0' },
      'graphVersion',
      /like v21\.0/,
    ],
    ['ftp base url', { ...minimal, baseUrl: 'ftp://graph.example' }, 'baseUrl', /http or https/],
    [
      'base url with a query',
      { ...minimal, baseUrl: 'https://graph.example/?x=1' },
      'baseUrl',
      /without query/,
    ],
    [
      'base url not a url',
      { ...minimal, baseUrl: 'graph.facebook.com' },
      'baseUrl',
      /http or https/,
    ],
    ['unknown field (typo)', { ...minimal, acessToken: TOKEN }, '', /acessToken/],
    [
      'user token without app credentials',
      { ...minimal, tokenType: 'user' },
      'appId',
      /appId and appSecret/,
    ],
  ];

  it.each(bad)('refuses %s with a message naming the problem', (_name, input, path, rule) => {
    const found = problems(input);
    expect(found[path]).toMatch(rule);
  });

  it('names both app fields for a user token without them', () => {
    const found = problems({ ...minimal, tokenType: 'user', appId: '123' });
    expect(Object.keys(found)).toEqual(['appSecret']);
    expect(found['appSecret']).toMatch(/required for tokenType "user"/);
  });
});
