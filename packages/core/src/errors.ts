/** One entry of an error catalogue: a stable code, the HTTP status it maps to, and a message template. */
export interface ErrorSpec {
  readonly status: number;
  /** Message template; `{name}` placeholders are filled from the details. */
  readonly message: string;
  /** Whether a job that fails with this code may be retried. */
  readonly retryable?: boolean;
}

export type ErrorCatalogue = Readonly<Record<string, ErrorSpec>>;

/** Details attached to an error; they cross process boundaries, so keep them JSON-safe. */
export type ErrorDetails = Readonly<Record<string, unknown>>;

/** An error with a code from a closed catalogue: data, not just text, so it survives queues and HTTP. */
export class WafleetError<C extends string = string> extends Error {
  override readonly name = 'WafleetError';
  readonly code: C;
  readonly status: number;
  readonly retryable: boolean;
  readonly details: ErrorDetails;

  constructor(
    code: C,
    spec: ErrorSpec,
    details: ErrorDetails = {},
    options?: { cause?: unknown; message?: string },
  ) {
    super(options?.message ?? fillTemplate(spec.message, details), { cause: options?.cause });
    this.code = code;
    this.status = spec.status;
    this.retryable = spec.retryable ?? false;
    this.details = details;
  }

  /** The JSON shape used on the wire: `{ code, message, details }`. */
  toJSON(): { code: C; message: string; details: ErrorDetails } {
    return { code: this.code, message: this.message, details: this.details };
  }
}

function fillTemplate(template: string, details: ErrorDetails): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => {
    const value = details[key];
    if (value === undefined) return whole;
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

/**
 * Declares a package's error catalogue and returns a typed factory for it.
 * `const errors = defineErrors({ NOT_FOUND: { status: 404, message: 'no {what}' } })`
 * then `throw errors.create('NOT_FOUND', { what: 'session' })`.
 */
export function defineErrors<const T extends ErrorCatalogue>(catalogue: T) {
  type Code = Extract<keyof T, string>;
  return {
    catalogue,
    codes: Object.keys(catalogue) as Code[],
    create(
      code: Code,
      details: ErrorDetails = {},
      options?: { cause?: unknown; message?: string },
    ): WafleetError<Code> {
      const spec = catalogue[code];
      if (!spec) throw new Error(`unknown error code ${code}`);
      return new WafleetError(code, spec, details, options);
    },
    is(err: unknown, code?: Code): err is WafleetError<Code> {
      return (
        err instanceof WafleetError &&
        err.code in catalogue &&
        (code === undefined || err.code === code)
      );
    },
  };
}
