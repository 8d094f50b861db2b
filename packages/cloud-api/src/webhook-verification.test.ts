import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { answerVerification, verifyWebhookSignature } from './webhook-verification.js';

const SECRET = 'a3f1c2d4e5b6a7980123456789abcdef';
const BODY = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');
const hex = (secret: string, body: Buffer) =>
  createHmac('sha256', secret).update(body).digest('hex');

describe('verifyWebhookSignature', () => {
  const right = `sha256=${hex(SECRET, BODY)}`;
  const cases: {
    name: string;
    header: string | undefined;
    secret?: string;
    body?: Buffer;
    ok: boolean;
  }[] = [
    { name: 'right signature', header: right, ok: true },
    {
      name: 'right signature, upper-case hex',
      header: `sha256=${hex(SECRET, BODY).toUpperCase()}`,
      ok: true,
    },
    {
      name: 'signed with another secret',
      header: `sha256=${hex('other-secret-000000', BODY)}`,
      ok: false,
    },
    {
      name: 'body changed by one byte',
      header: right,
      body: Buffer.from(BODY.toString().replace('[]', '[ ]')),
      ok: false,
    },
    {
      name: 'verified with another secret',
      header: right,
      secret: 'another-secret-1234',
      ok: false,
    },
    { name: 'missing header', header: undefined, ok: false },
    { name: 'empty header', header: '', ok: false },
    { name: 'no sha256= prefix', header: hex(SECRET, BODY), ok: false },
    {
      name: 'sha1 scheme (X-Hub-Signature)',
      header: `sha1=${createHmac('sha1', SECRET).update(BODY).digest('hex')}`,
      ok: false,
    },
    { name: 'not hex', header: `sha256=${'z'.repeat(64)}`, ok: false },
    { name: 'too short (different length)', header: right.slice(0, -2), ok: false },
    { name: 'too long (different length)', header: `${right}00`, ok: false },
    { name: 'empty app secret', header: `sha256=${hex('', BODY)}`, secret: '', ok: false },
  ];

  it.each(cases)('$name → $ok', ({ header, secret, body, ok }) => {
    expect(verifyWebhookSignature(body ?? BODY, header, secret ?? SECRET)).toBe(ok);
  });
});

describe('answerVerification', () => {
  const TOKEN = 'verify-me-please';
  const good = {
    'hub.mode': 'subscribe',
    'hub.verify_token': TOKEN,
    'hub.challenge': '1158201444',
  };
  const cases: { name: string; query: Record<string, unknown>; token?: string; ok: boolean }[] = [
    { name: 'right token', query: good, ok: true },
    {
      name: 'nested (qs-style) query',
      query: { hub: { mode: 'subscribe', verify_token: TOKEN, challenge: '1158201444' } },
      ok: true,
    },
    { name: 'wrong token', query: { ...good, 'hub.verify_token': 'verify-me-pleasE' }, ok: false },
    { name: 'token of another length', query: { ...good, 'hub.verify_token': 'short' }, ok: false },
    { name: 'wrong mode', query: { ...good, 'hub.mode': 'unsubscribe' }, ok: false },
    { name: 'no mode', query: { 'hub.verify_token': TOKEN, 'hub.challenge': '1' }, ok: false },
    { name: 'no token', query: { 'hub.mode': 'subscribe', 'hub.challenge': '1' }, ok: false },
    {
      name: 'no challenge',
      query: { 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN },
      ok: false,
    },
    {
      name: 'repeated parameter (array)',
      query: { ...good, 'hub.verify_token': [TOKEN, TOKEN] },
      ok: false,
    },
    {
      name: 'challenge with markup',
      query: { ...good, 'hub.challenge': '<script>alert(1)</script>' },
      ok: false,
    },
    {
      name: 'empty configured token',
      query: { ...good, 'hub.verify_token': '' },
      token: '',
      ok: false,
    },
  ];

  it.each(cases)('$name → $ok', ({ query, token, ok }) => {
    const answer = answerVerification(query, token ?? TOKEN);
    expect(answer.ok).toBe(ok);
    if (ok) expect(answer).toEqual({ ok: true, challenge: '1158201444' });
    else expect(answer).toEqual({ ok: false });
  });
});
