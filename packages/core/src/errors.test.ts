import { describe, expect, it } from 'vitest';
import { defineErrors, WafleetError } from './errors.js';

describe('defineErrors', () => {
  const errors = defineErrors({
    NOT_FOUND: { status: 404, message: 'no {what} named {name}' },
    BUSY: { status: 503, message: 'busy', retryable: true },
  });

  it('fills templates and carries code, status and details', () => {
    const err = errors.create('NOT_FOUND', { what: 'session', name: 's1' });
    expect(err).toBeInstanceOf(WafleetError);
    expect(err.message).toBe('no session named s1');
    expect(err.status).toBe(404);
    expect(err.retryable).toBe(false);
    expect(err.toJSON()).toEqual({
      code: 'NOT_FOUND',
      message: 'no session named s1',
      details: { what: 'session', name: 's1' },
    });
    expect(errors.is(err, 'NOT_FOUND')).toBe(true);
    expect(errors.is(err, 'BUSY')).toBe(false);
    expect(errors.is(new Error('x'))).toBe(false);
    expect(errors.create('BUSY').retryable).toBe(true);
    expect(errors.codes).toEqual(['NOT_FOUND', 'BUSY']);
  });
});
