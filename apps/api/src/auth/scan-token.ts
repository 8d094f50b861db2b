import { createHmac, timingSafeEqual } from 'node:crypto';

/** Result of checking a scan token. */
export type ScanTokenCheck =
  | { ok: true; expiresAt: number }
  | { ok: false; reason: 'expired' | 'invalid' };

const TOKEN_FORMAT = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/**
 * Short-lived links to the scan page: `<expiry unix s>.<HMAC-SHA256>` over the session id and the
 * expiry, so a token opens exactly one session's QR until it expires, and nothing is stored.
 */
export class ScanTokens {
  private readonly key: Buffer;

  /** `secret` is SCAN_TOKEN_SECRET, or else a key derived from the admin key. */
  constructor(secret: string | undefined, adminKey: string) {
    this.key = secret
      ? Buffer.from(secret, 'utf8')
      : createHmac('sha256', adminKey).update('wafleet/scan-token/v1').digest();
  }

  issue(
    sessionId: string,
    ttlSeconds: number,
    now = Date.now(),
  ): { token: string; expiresAt: number } {
    const exp = Math.floor(now / 1000) + ttlSeconds;
    return {
      token: `${exp}.${this.sign(sessionId, exp).toString('base64url')}`,
      expiresAt: exp * 1000,
    };
  }

  verify(sessionId: string, token: unknown, now = Date.now()): ScanTokenCheck {
    if (typeof token !== 'string') return { ok: false, reason: 'invalid' };
    const m = TOKEN_FORMAT.exec(token);
    if (!m?.[1] || !m[2]) return { ok: false, reason: 'invalid' };
    const exp = Number(m[1]);
    const given = Buffer.from(m[2], 'base64url');
    const expected = this.sign(sessionId, exp);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, reason: 'invalid' };
    }
    if (exp * 1000 <= now) return { ok: false, reason: 'expired' };
    return { ok: true, expiresAt: exp * 1000 };
  }

  private sign(sessionId: string, exp: number): Buffer {
    return createHmac('sha256', this.key).update(`scan.v1\0${sessionId}\0${exp}`).digest();
  }
}
