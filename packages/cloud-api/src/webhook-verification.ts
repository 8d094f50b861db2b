import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;
// Meta's challenge is a number; anything outside this set is refused so the echo can never
// carry markup or header-breaking characters back to the caller.
const CHALLENGE = /^[A-Za-z0-9._-]{1,512}$/;

/**
 * True when `header` (`X-Hub-Signature-256: sha256=<hex>`) is the HMAC-SHA256 of the exact raw
 * request body under the app secret. Constant time; false for a missing or malformed header or
 * an empty secret. Verify the raw bytes: re-serialised JSON does not hash the same.
 */
export function verifyWebhookSignature(
  rawBody: Buffer,
  header: string | undefined,
  appSecret: string,
): boolean {
  if (typeof header !== 'string' || appSecret === '') return false;
  const hex = SIGNATURE.exec(header.trim())?.[1];
  if (hex === undefined) return false;
  const given = Buffer.from(hex, 'hex');
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  // Both are 32 bytes here (the pattern fixed the length), as timingSafeEqual requires.
  return timingSafeEqual(given, expected);
}

function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Compares two secrets in constant time, whatever their lengths. */
function sameSecret(a: string, b: string): boolean {
  // Hashing first gives equal-length inputs, so the comparison leaks neither content nor length.
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/**
 * Answers Meta's webhook verification request (`GET ?hub.mode=subscribe&hub.verify_token=…
 * &hub.challenge=…`): ok with the challenge to echo when the mode is `subscribe` and the token
 * matches (constant time). A repeated parameter (an array), an empty verify token or an unusual
 * challenge is refused.
 */
export function answerVerification(
  query: Record<string, unknown>,
  verifyToken: string,
): { ok: true; challenge: string } | { ok: false } {
  // A `qs`-style parser nests dotted names (`{ hub: { mode } }`); accept both shapes.
  const nested = query['hub'];
  const hub = (name: string): string | undefined =>
    single(query[`hub.${name}`]) ??
    (typeof nested === 'object' && nested !== null
      ? single((nested as Record<string, unknown>)[name])
      : undefined);
  const mode = hub('mode');
  const token = hub('verify_token');
  const challenge = hub('challenge');
  if (verifyToken === '' || mode !== 'subscribe' || token === undefined) return { ok: false };
  if (challenge === undefined || !CHALLENGE.test(challenge)) return { ok: false };
  if (!sameSecret(token, verifyToken)) return { ok: false };
  return { ok: true, challenge };
}
