import type { OutboundRecord } from "../sink.ts";

/**
 * What one request to a destination came to; the only thing a remote sink decides (the driver does the rest).
 * - `ok`: every record of the batch was accepted.
 * - `retry`: nothing (for sure) was accepted and trying again may work: throttling, 5xx, network, timeouts, and also
 *   authentication or a missing endpoint, which an operator fixes without losing data (the cycle fails meanwhile).
 * - `permanent`: the destination refuses this payload and always will (400, 413, 422). The driver splits the batch to
 *   find the records at fault; a single record refused for good goes to the dead letter.
 * - `partial`: some records were accepted, these were not (Elasticsearch `_bulk` items), each retryable or not.
 */
export type SendOutcome =
  | { readonly kind: "ok" }
  | { readonly kind: "retry"; readonly reason: string; readonly retryAfterMs?: number | undefined }
  | { readonly kind: "permanent"; readonly reason: string }
  | { readonly kind: "partial"; readonly failed: readonly FailedRecord[] };

export interface FailedRecord {
  /** Position of the record in the batch that was sent. */
  readonly index: number;
  readonly reason: string;
  readonly retry: boolean;
}

/** Per-request limits of a destination; a batch never exceeds either. */
export interface BatchLimits {
  readonly maxRecords: number;
  /** Bytes of the request body before compression. */
  readonly maxBytes: number;
  /** Largest single record the destination takes, when it is less than a request (Sekoia.io: 250 kB an event). */
  readonly maxRecordBytes?: number;
}

/**
 * One remote destination as the driver sees it: its limits, the size a record adds to a request, and one request.
 * `send` must hand `signal` to every I/O it does (it carries the per-request timeout and the collector's stop), and
 * never throw for an HTTP or network outcome: it classifies it.
 */
export interface Destination {
  readonly name: string;
  readonly limits: BatchLimits;
  /** Bytes `record` adds to a request body (before compression). */
  size(record: OutboundRecord): number;
  send(batch: readonly OutboundRecord[], signal: AbortSignal): Promise<SendOutcome>;
  close(): Promise<void>;
}

/** The usual HTTP classification: 408, 429 and 5xx may pass later; 401, 403 and 404 are configuration (retried: fixable without loss); other 4xx refuse the payload. */
export function classifyHttpStatus(status: number, reason: string, retryAfterMs: number | undefined): SendOutcome {
  if (status >= 200 && status < 300) return { kind: "ok" };
  if (status === 408 || status === 429 || status >= 500) return { kind: "retry", reason, retryAfterMs };
  if (status === 401 || status === 403 || status === 404) return { kind: "retry", reason: `${reason} (check the sink's URL and secret)` };
  return { kind: "permanent", reason };
}
