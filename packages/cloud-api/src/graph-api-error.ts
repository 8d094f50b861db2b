/** Fields of a {@link GraphApiError} besides its message. */
export interface GraphApiErrorFields {
  /** HTTP status of Graph's answer; 0 when no answer came (network failure, timeout, abort). */
  httpStatus: number;
  graphCode?: number | undefined;
  graphSubcode?: number | undefined;
  fbtraceId?: string | undefined;
  /** From a `Retry-After` header, when Graph (or a proxy in front of it) sent one. */
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

/**
 * A failed Graph API call. `@wafleet/queue`'s `classifySendError` recognises it by its `name`,
 * `httpStatus` and `graphCode` (no import needed), so this class decides nothing about retries.
 * Messages never contain the access token or the app secret: the client scrubs them.
 */
export class GraphApiError extends Error {
  override readonly name = 'GraphApiError';
  readonly httpStatus: number;
  readonly graphCode?: number;
  readonly graphSubcode?: number;
  readonly fbtraceId?: string;
  readonly retryAfterMs?: number;

  constructor(message: string, fields: GraphApiErrorFields) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.httpStatus = fields.httpStatus;
    if (fields.graphCode !== undefined) this.graphCode = fields.graphCode;
    if (fields.graphSubcode !== undefined) this.graphSubcode = fields.graphSubcode;
    if (fields.fbtraceId !== undefined) this.fbtraceId = fields.fbtraceId;
    if (fields.retryAfterMs !== undefined) this.retryAfterMs = fields.retryAfterMs;
  }
}
