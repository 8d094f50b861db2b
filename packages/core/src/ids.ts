import { randomBytes, randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** Session ids are user-chosen; this keeps them safe inside Redis keys, URLs and metric labels. */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
export const SESSION_ID_RULE =
  '1-64 characters of A-Z, a-z, 0-9, "_" or "-", starting with a letter or digit';

/** True when `id` is a valid session id. */
export function isValidSessionId(id: string): boolean {
  return SESSION_ID_PATTERN.test(id);
}

/** A random, URL-safe id with a readable prefix, e.g. `evt_3kq9…`. */
export function newId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/** A random UUID v4. */
export function newUuid(): string {
  return randomUUID();
}

/** An id for this process: host, pid and a random suffix, so restarts on one host never collide. */
export function newInstanceId(role: string): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9-]/g, '-')
    .slice(0, 32);
  return `${role}-${host}-${process.pid}-${randomBytes(3).toString('hex')}`;
}
