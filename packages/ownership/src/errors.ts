import { defineErrors } from '@wafleet/core';

/** Errors raised by @wafleet/ownership. */
export const ownershipErrors = defineErrors({
  INVALID_WORKER_ID: {
    status: 400,
    message:
      'invalid worker id {workerId}: must be 1-100 characters of A-Z, a-z, 0-9, ".", "_" or "-"',
  },
  INVALID_OPTION: {
    status: 500,
    message: 'invalid {option}: {problem}',
  },
  INVALID_PLAN_INPUT: {
    status: 500,
    message: 'invalid assignment input: {problem}',
  },
  UNEXPECTED_REPLY: {
    status: 500,
    message: 'unexpected Redis reply from {command}: {reply}',
    retryable: true,
  },
});
