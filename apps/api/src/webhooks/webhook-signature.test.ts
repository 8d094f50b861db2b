import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from './webhook-signature.js';

describe('webhook signatures', () => {
  const secret = 'whsec-0123456789abcdef';
  const body =
    '{"id":"1-0","session":"s1","type":"session.status","timestamp":"2030-01-01T00:00:00.000Z","data":{}}';
  const ts = 1_893_456_000;

  it('is sha256=<hex HMAC of "<timestamp>.<body>">', () => {
    const expected = createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
    expect(signWebhook(secret, ts, body)).toBe(`sha256=${expected}`);
  });

  it.each([
    ['the right secret, body and time', secret, body, String(ts), ts * 1000, true],
    ['another secret', 'whsec-other-000000000', body, String(ts), ts * 1000, false],
    ['a changed body', secret, body.replace('s1', 's2'), String(ts), ts * 1000, false],
    ['a changed timestamp', secret, body, String(ts + 1), ts * 1000, false],
    ['a replay 10 minutes later', secret, body, String(ts), (ts + 600) * 1000, false],
    ['no timestamp', secret, body, undefined, ts * 1000, false],
  ])('verify with %s → %s', (_name, key, payload, timestamp, now, ok) => {
    const signature = signWebhook(secret, ts, body);
    expect(verifyWebhook(key, { signature, timestamp }, payload, { now })).toBe(ok);
  });
});
