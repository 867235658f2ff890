import type { OutboundRecord } from "../sink.ts";
import type { BatchLimits, SendOutcome } from "../remote/outcome.ts";
import type { SinkCheckResult } from "../sink-check.ts";
import type { HttpClient } from "./http-client.ts";

/**
 * One HTTP intake: its batch limits, the bytes a record adds to its request body, and one delivery (the request or
 * requests of a batch, classified). Everything else (batching, retry, dead letter) is the remote sink's.
 */
export interface HttpPreset {
  readonly limits: BatchLimits;
  size(record: OutboundRecord): number;
  send(batch: readonly OutboundRecord[], client: HttpClient, signal: AbortSignal): Promise<SendOutcome>;
  /**
   * Doctor's authenticated no-op, once the intake is reachable: requests that prove the intake is up and takes the
   * credential, and deliver nothing. Absent when the intake has no such request (the first delivery checks the credential).
   */
  check?(client: HttpClient, signal: AbortSignal): Promise<SinkCheckResult>;
}

/** A short reason for logs and the dead letter: the status and the start of the answer (never the request). */
export function statusReason(status: number, text: string): string {
  const body = text.replace(/\s+/g, " ").trim().slice(0, 300);
  return body === "" ? `HTTP ${status}` : `HTTP ${status}: ${body}`;
}
