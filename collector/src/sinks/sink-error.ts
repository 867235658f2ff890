import { AuditfeedError } from "../errors.ts";

/** A sink failure. `retryable` false means the same records will fail again (bad configuration, rejected payload). */
export function sinkError(sink: string, message: string, options: { retryable: boolean; cause?: unknown }): AuditfeedError {
  return new AuditfeedError(options.retryable ? "AF_ERR_SINK_UNAVAILABLE" : "AF_ERR_SINK_REJECTED", `${sink} sink: ${message}`, options);
}
