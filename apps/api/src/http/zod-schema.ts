import type { FastifySchema, FastifySchemaCompiler, RouteOptions } from 'fastify';
import { z } from 'zod';
import { apiErrors } from '../errors.js';

/** One problem found in a request: where (`body.webhook.url`) and the rule it broke. */
export interface RequestProblem {
  readonly path: string;
  readonly rule: string;
}

const PART_NAMES: Record<string, string> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

function describeInput(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  return typeof input;
}

function joinPath(part: string, path: readonly PropertyKey[]): string {
  let out = part;
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
  return out;
}

/** Turns zod issues into problems that name the field, in our words (zod's defaults name no rule). */
export function toProblems(part: string, issues: readonly z.core.$ZodIssue[]): RequestProblem[] {
  const prefix = PART_NAMES[part] ?? part;
  const problems: RequestProblem[] = [];
  for (const issue of issues) {
    const path = joinPath(prefix, issue.path);
    switch (issue.code) {
      case 'invalid_type': {
        if (issue.input === undefined) {
          problems.push({ path, rule: 'is required' });
        } else if (!issue.message.startsWith('Invalid input')) {
          problems.push({ path, rule: issue.message });
        } else {
          const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
          problems.push({ path, rule: `must be ${expected} (got ${describeInput(issue.input)})` });
        }
        break;
      }
      case 'unrecognized_keys':
        for (const key of issue.keys) {
          problems.push({
            path: joinPath(prefix, [...issue.path, key]),
            rule: 'is not a known field',
          });
        }
        break;
      case 'invalid_value':
        problems.push({
          path,
          rule: issue.message.startsWith('Invalid')
            ? `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
            : issue.message,
        });
        break;
      default:
        problems.push({ path, rule: issue.message });
    }
  }
  return problems;
}

/** The error a failed request validation raises; the error handler answers 400 with the problems. */
export function validationError(problems: readonly RequestProblem[]) {
  const summary = problems.map((p) => `${p.path}: ${p.rule}`).join('; ');
  return apiErrors.create('VALIDATION_FAILED', { summary, problems });
}

function isZod(value: unknown): value is z.ZodType {
  return value instanceof z.ZodType;
}

/**
 * Validates each request part with the zod schema given in the route's `schema` (body, querystring,
 * params, headers). The parsed value replaces the raw one, so handlers see coerced, defaulted data.
 */
export const zodValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  if (!isZod(schema))
    throw new Error(`route schema for ${httpPart ?? 'request'} must be a zod schema`);
  return (data: unknown) => {
    // Fastify hands a missing part over as null.
    if (data === null && httpPart === 'body') {
      return {
        error: validationError([{ path: 'body', rule: 'is required: send a JSON object' }]),
      };
    }
    // reportInput: zod 4 leaves the input out of issues otherwise, and "is required" needs it.
    const result = schema.safeParse(data, { reportInput: true });
    if (result.success) return { value: result.data };
    return { error: validationError(toProblems(httpPart ?? 'request', result.error.issues)) };
  };
};

/** Responses are plain JSON; their zod schemas exist for the OpenAPI document only. */
export const jsonSerializerCompiler = () => (data: unknown) => JSON.stringify(data);

/** JSON Schema (OpenAPI 3.0 dialect) of a zod schema, for the docs. */
export function toOpenApiSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
): Record<string, unknown> {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io,
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}

/** Extra documentation a route may carry in its config (schemas richer than the validated ones). */
export interface RouteDocs {
  body?: z.ZodType;
}

/** `@fastify/swagger` transform: zod schemas of a route → JSON Schema in the OpenAPI document. */
export function zodSwaggerTransform({
  schema,
  url,
  route,
}: {
  schema: FastifySchema;
  url: string;
  route: RouteOptions;
}): { schema: FastifySchema; url: string } {
  if (!schema) return { schema, url };
  const out: Record<string, unknown> = { ...schema };
  const docs = (route.config as { docs?: RouteDocs } | undefined)?.docs;
  for (const part of ['querystring', 'params', 'headers'] as const) {
    const s = schema[part];
    if (isZod(s)) out[part] = toOpenApiSchema(s, 'input');
  }
  const body = docs?.body ?? schema.body;
  if (isZod(body)) out.body = toOpenApiSchema(body, 'input');
  if (schema.response && typeof schema.response === 'object') {
    const responses: Record<string, unknown> = {};
    for (const [code, s] of Object.entries(schema.response as Record<string, unknown>)) {
      responses[code] = isZod(s) ? toOpenApiSchema(s, 'output') : s;
    }
    out.response = responses;
  }
  return { schema: out as FastifySchema, url };
}
