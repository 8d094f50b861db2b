import type { z } from 'zod';
import { SendValidationError, type SendProblem } from './errors.js';
import { DEFAULT_SEND_LIMITS, type SendLimits } from './media-rules.js';
import { deriveMessageId, newIdempotencyKey } from './message-id.js';
import {
  CONTENT_TYPE_RULE,
  parseExpiresAt,
  SEND_JOB_VERSION,
  sendJobSchema,
  sendRequestSchema,
  type SendJob,
} from './send-job.schema.js';

/** Options of {@link parseSendRequest}. */
export interface ParseSendRequestOptions {
  /** The enqueue time (epoch ms); `expiresAt` must be after it. Defaults to now. */
  now?: number;
  limits?: SendLimits;
  /** Makes the idempotency key when the producer gave none. */
  newIdempotencyKey?: () => string;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out || 'request';
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

/** Turns zod issues into `path: rule` problems in our words (zod's defaults name no rule). */
function toProblems(issues: readonly z.core.$ZodIssue[]): SendProblem[] {
  const problems: SendProblem[] = [];
  for (const issue of issues) {
    const path = formatPath(issue.path);
    switch (issue.code) {
      case 'invalid_type': {
        // A rule we wrote ourselves (e.g. `.int({ error })`) wins over the generic wording.
        if (!issue.message.startsWith('Invalid input')) {
          problems.push({ path, rule: issue.message });
          break;
        }
        const missing = issue.input === undefined && !('received' in issue);
        problems.push({
          path,
          rule: missing
            ? 'is required'
            : `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}${
                'received' in issue && typeof issue.received === 'string'
                  ? ` (got ${issue.received})`
                  : ''
              }`,
        });
        break;
      }
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          problems.push({ path: formatPath([...issue.path, key]), rule: 'is not a known field' });
        }
        break;
      case 'invalid_union':
        problems.push({
          path,
          rule: issue.path.at(-1) === 'type' ? CONTENT_TYPE_RULE : issue.message,
        });
        break;
      case 'invalid_value':
        problems.push({
          path,
          rule:
            issue.message.startsWith('Invalid input') || issue.message === ''
              ? `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`
              : issue.message,
        });
        break;
      default:
        problems.push({ path, rule: issue.message });
    }
  }
  return problems;
}

function optionsOf(input: unknown): Record<string, unknown> | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  const options = (input as { options?: unknown }).options;
  return typeof options === 'object' && options !== null
    ? (options as Record<string, unknown>)
    : undefined;
}

const schemas = new WeakMap<SendLimits, ReturnType<typeof sendRequestSchema>>();
const jobSchemas = new WeakMap<SendLimits, ReturnType<typeof sendJobSchema>>();

function requestSchemaFor(limits: SendLimits) {
  let schema = schemas.get(limits);
  if (!schema) schemas.set(limits, (schema = sendRequestSchema(limits)));
  return schema;
}

function jobSchemaFor(limits: SendLimits) {
  let schema = jobSchemas.get(limits);
  if (!schema) jobSchemas.set(limits, (schema = sendJobSchema(limits)));
  return schema;
}

/**
 * Validates a producer's send request and builds the job to enqueue: recipient normalised to a
 * jid, `expiresAt` as epoch ms, idempotency key generated if absent, message id derived from
 * (session, key). Throws {@link SendValidationError} listing every problem with its field.
 */
export function parseSendRequest(input: unknown, options: ParseSendRequestOptions = {}): SendJob {
  const now = options.now ?? Date.now();
  const parsed = requestSchemaFor(options.limits ?? DEFAULT_SEND_LIMITS).safeParse(input, {
    reportInput: true,
  });
  const problems = parsed.success ? [] : toProblems(parsed.error.issues);
  // Checked outside the schema so it is reported together with every other problem.
  const expiresAt = parseExpiresAt(optionsOf(input)?.expiresAt);
  if (expiresAt !== undefined && expiresAt <= now) {
    problems.push({
      path: 'options.expiresAt',
      rule: `must be in the future (it is ${new Date(expiresAt).toISOString()}, now is ${new Date(now).toISOString()})`,
    });
  }
  if (!parsed.success || problems.length > 0) throw new SendValidationError(problems);
  const request = parsed.data;
  const idempotencyKey =
    request.options?.idempotencyKey ?? (options.newIdempotencyKey ?? newIdempotencyKey)();
  return {
    v: SEND_JOB_VERSION,
    sessionId: request.sessionId,
    to: request.to,
    content: request.content,
    options: {
      idempotencyKey,
      ...(request.options?.expiresAt !== undefined ? { expiresAt: request.options.expiresAt } : {}),
      ...(request.options?.priority !== undefined ? { priority: request.options.priority } : {}),
    },
    messageId: deriveMessageId(request.sessionId, idempotencyKey),
    enqueuedAt: now,
  };
}

/**
 * Validates a stored job payload on the worker side, with the same rules and messages as
 * {@link parseSendRequest}, and checks the message id really derives from the key. Throws
 * {@link SendValidationError}; the worker fails such a job permanently (`invalid_payload`).
 */
export function parseSendJob(data: unknown, limits: SendLimits = DEFAULT_SEND_LIMITS): SendJob {
  const parsed = jobSchemaFor(limits).safeParse(data, { reportInput: true });
  if (!parsed.success) throw new SendValidationError(toProblems(parsed.error.issues));
  const job = parsed.data;
  if (job.messageId !== deriveMessageId(job.sessionId, job.options.idempotencyKey)) {
    throw new SendValidationError([
      { path: 'messageId', rule: 'must be derived from the session id and idempotency key' },
    ]);
  }
  return job;
}
