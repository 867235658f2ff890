/**
 * The one error type auditfeed throws on purpose. `code` is stable (tests and operators match on it);
 * `message` is a full sentence that names the cause and, where there is one, the fix.
 */
export class AuditfeedError extends Error {
  override readonly name = "AuditfeedError";
  readonly code: string;
  /** True when the same call may succeed later (network, 5xx, throttling); false when it will fail again. */
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { retryable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

export function isAuditfeedError(error: unknown): error is AuditfeedError {
  return error instanceof Error && error.name === "AuditfeedError";
}

/** The stable code and sentence of any error, for reports and state (an error auditfeed did not expect is `AF_ERR_UNEXPECTED`). */
export function describeError(error: unknown): { code: string; message: string } {
  if (isAuditfeedError(error)) return { code: error.code, message: error.message };
  return { code: "AF_ERR_UNEXPECTED", message: error instanceof Error ? error.message : String(error) };
}
