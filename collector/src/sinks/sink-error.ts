import { AuditfeedError, isAuditfeedError } from "../errors.ts";

/** A sink failure. `retryable` false means the same records will fail again (bad configuration, rejected payload). */
export function sinkError(sink: string, message: string, options: { retryable: boolean; cause?: unknown }): AuditfeedError {
  return new AuditfeedError(options.retryable ? "AF_ERR_SINK_UNAVAILABLE" : "AF_ERR_SINK_REJECTED", `${sink} sink: ${message}`, options);
}

/** True for an error a sink threw (the sink is down or refused the records), as opposed to one of the source. */
export function isSinkError(error: unknown): error is AuditfeedError {
  return isAuditfeedError(error) && (error.code === "AF_ERR_SINK_UNAVAILABLE" || error.code === "AF_ERR_SINK_REJECTED");
}
