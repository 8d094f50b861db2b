import { describe, expect, it } from 'vitest';
import { UrlPolicy } from './url-policy.js';

describe('UrlPolicy', () => {
  const strict = new UrlPolicy('');
  const allowing = new UrlPolicy('127.0.0.1, 10.20.0.0/16, hooks.internal, fd00::/8');

  it.each([
    ['8.8.8.8', true, true],
    ['1.1.1.1', true, true],
    ['2606:4700:4700::1111', true, true],
    ['127.0.0.1', false, true],
    ['127.1.2.3', false, false],
    ['10.20.3.4', false, true],
    ['10.21.0.1', false, false],
    ['192.168.1.1', false, false],
    ['172.16.5.5', false, false],
    ['172.32.0.1', true, true],
    ['169.254.169.254', false, false],
    ['100.64.1.1', false, false],
    ['0.0.0.0', false, false],
    ['224.0.0.1', false, false],
    ['255.255.255.255', false, false],
    ['::1', false, false],
    ['::', false, false],
    ['fe80::1', false, false],
    ['fc00::1', false, false],
    ['fd12::1', false, true],
    ['::ffff:127.0.0.1', false, true],
    ['::ffff:192.168.0.1', false, false],
    ['64:ff9b::a00:1', false, false],
    ['not-an-ip', false, false],
  ])('%s: strict %s, allowlisted %s', (address, strictOk, allowOk) => {
    expect(strict.addressAllowed(address)).toBe(strictOk);
    expect(allowing.addressAllowed(address)).toBe(allowOk);
  });

  it.each([
    ['https://8.8.8.8/hook', true],
    ['http://127.0.0.1:8080/x', false],
    ['http://[::1]/x', false],
    ['http://localhost/x', false],
    ['http://10.0.0.1/x', false],
    ['ftp://8.8.8.8/x', false],
    ['http://user:pass@8.8.8.8/x', false],
    ['not a url', false],
    ['http://does-not-exist.invalid/x', false],
  ])('check(%s) → %s without an allowlist', async (url, ok) => {
    expect((await strict.check(url)).ok).toBe(ok);
  });

  it('allowlisted hosts and ranges pass, others stay denied', async () => {
    expect((await allowing.check('http://127.0.0.1:9/x')).ok).toBe(true);
    expect((await allowing.check('http://hooks.internal/x')).ok).toBe(true);
    expect((await allowing.check('http://192.168.0.1/x')).ok).toBe(false);
    const denied = await strict.check('http://169.254.169.254/latest');
    expect(denied).toEqual({
      ok: false,
      reason: expect.stringContaining('169.254.169.254') as string,
    });
  });

  it('the connect-time lookup refuses names that resolve to denied addresses', async () => {
    const lookup = (policy: UrlPolicy, host: string) =>
      new Promise<string>((resolve, reject) =>
        policy.lookup(host, { family: 0 }, (err, address) =>
          err
            ? reject(err)
            : resolve(typeof address === 'string' ? address : JSON.stringify(address)),
        ),
      );
    await expect(lookup(strict, 'localhost')).rejects.toThrow(/denied/);
    expect(await lookup(new UrlPolicy('localhost'), 'localhost')).toMatch(/^(127\.0\.0\.1|::1)$/);
  });
});
