import { defineErrors } from './errors.js';

/** Errors raised by @wafleet/core itself. */
export const coreErrors = defineErrors({
  CONFIG_INVALID: {
    status: 500,
    message: 'invalid configuration: {summary}',
  },
  INVALID_ID: {
    status: 400,
    message: '{what} must match {rule}',
  },
});
