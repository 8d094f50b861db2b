/** A Redis Stream entry id (`<ms>-<seq>`), the cursor of the event stream. */
export const STREAM_ID_PATTERN = /^\d{1,20}-\d{1,20}$/;

function parts(id: string): [bigint, bigint] {
  const [ms, seq] = id.split('-');
  return [BigInt(ms ?? '0'), BigInt(seq ?? '0')];
}

/** Orders two stream ids: negative when `a` is older than `b`. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as] = parts(a);
  const [bm, bs] = parts(b);
  if (am !== bm) return am < bm ? -1 : 1;
  if (as !== bs) return as < bs ? -1 : 1;
  return 0;
}
