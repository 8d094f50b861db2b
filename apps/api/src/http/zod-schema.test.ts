import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { RouteIndex } from './route-index.js';
import { toProblems } from './zod-schema.js';

const schema = z.strictObject({
  id: z.string(),
  count: z.number().int({ error: 'must be an integer' }),
  kind: z.enum(['a', 'b']),
  nested: z.strictObject({ url: z.string() }).optional(),
  list: z.array(z.string()).optional(),
});

function problems(part: string, data: unknown) {
  const result = schema.safeParse(data, { reportInput: true });
  if (result.success) throw new Error('expected a failure');
  return toProblems(part, result.error.issues);
}

describe('toProblems', () => {
  it.each([
    ['a missing field', { count: 1, kind: 'a' }, { path: 'body.id', rule: 'is required' }],
    [
      'a wrong type',
      { id: 5, count: 1, kind: 'a' },
      { path: 'body.id', rule: 'must be a string (got number)' },
    ],
    [
      'null',
      { id: null, count: 1, kind: 'a' },
      { path: 'body.id', rule: 'must be a string (got null)' },
    ],
    [
      'an own rule',
      { id: 'x', count: 1.5, kind: 'a' },
      { path: 'body.count', rule: 'must be an integer' },
    ],
    [
      'an enum',
      { id: 'x', count: 1, kind: 'c' },
      { path: 'body.kind', rule: 'must be one of "a", "b"' },
    ],
    [
      'an unknown field',
      { id: 'x', count: 1, kind: 'a', extra: 1 },
      { path: 'body.extra', rule: 'is not a known field' },
    ],
    [
      'a nested field',
      { id: 'x', count: 1, kind: 'a', nested: { url: 1 } },
      { path: 'body.nested.url', rule: 'must be a string (got number)' },
    ],
    [
      'an array item',
      { id: 'x', count: 1, kind: 'a', list: ['ok', 2] },
      { path: 'body.list[1]', rule: 'must be a string (got number)' },
    ],
  ])('names the field for %s', (_name, data, expected) => {
    expect(problems('body', data)).toEqual([expected]);
  });

  it('prefixes query and path parameters', () => {
    expect(problems('querystring', { count: 1, kind: 'a' })[0]?.path).toBe('query.id');
    expect(problems('params', { count: 1, kind: 'a' })[0]?.path).toBe('path.id');
  });
});

describe('RouteIndex', () => {
  const index = new RouteIndex();
  index.add('/v1/sessions', ['GET', 'HEAD']);
  index.add('/v1/sessions', 'POST');
  index.add('/v1/sessions/:id', ['GET', 'DELETE', 'PATCH']);
  index.add('/v1/sessions/:id/qr', 'GET');

  it.each([
    ['/v1/sessions', ['GET', 'HEAD', 'POST']],
    ['/v1/sessions/', ['GET', 'HEAD', 'POST']],
    ['/v1/sessions/s1', ['DELETE', 'GET', 'PATCH']],
    ['/v1/sessions/s1/qr', ['GET']],
    ['/v1/sessions/s1/qr/x', []],
    ['/v1/other', []],
  ])('%s allows %j', (path, methods) => {
    expect(index.allowed(path)).toEqual(methods);
  });
});
