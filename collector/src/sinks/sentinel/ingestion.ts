import { Agent } from "node:https";
import type { TokenCredential } from "@azure/identity";
import { isAggregateLogsUploadError, LogsIngestionClient } from "@azure/monitor-ingestion";
import { parseRetryAfter } from "../../retry/backoff.ts";
import { statusReason } from "../http/preset.ts";
import type { BatchLimits, Destination, SendOutcome } from "../remote/outcome.ts";
import { trustedCas, untrustedCertificate } from "../remote/tls.ts";
import type { OutboundRecord } from "../sink.ts";
import type { SentinelSinkConfig } from "./config.ts";
import { RowCache } from "./rows.ts";

/**
 * The Logs Ingestion API takes at most 1 MB a call, compressed or not (Azure Monitor service limits), and truncates a
 * field longer than 64 KB. A batch is therefore cut so that its JSON array stays within 1,000,000 bytes before gzip
 * (each row's size counts its comma; the brackets take the last one's place and one byte more), which also keeps the
 * client from splitting it again: one batch, one request, one outcome. A row over 64 KiB goes to the dead letter
 * whole rather than arrive truncated. The record count is only a bound on memory.
 */
export const SENTINEL_LIMITS: BatchLimits = { maxRecords: 10_000, maxBytes: 1_000_000 - 1, maxRecordBytes: 64 * 1_024 };

/**
 * One data collection rule's stream, through Microsoft's client: it builds the request
 * (`POST <endpoint>/dataCollectionRules/<rule>/streams/<stream>?api-version=2023-01-01`, a gzipped JSON array) and
 * gets the token for the cloud's audience from `credential`. Its own retries and redirects are off: the delivery
 * driver retries (with Retry-After, the maximum elapsed time and the collector's stop), and a redirect would send the
 * token to another host.
 */
export function sentinelDestination(config: SentinelSinkConfig, credential: TokenCredential, rows: RowCache = new RowCache()): Destination {
  const { url, caFile } = config.remote;
  const agent = caFile === undefined ? undefined : new Agent({ keepAlive: true, ca: trustedCas(caFile) });
  const client = new LogsIngestionClient(url, credential, {
    audience: config.audience,
    retryOptions: { maxRetries: 0 },
    redirectOptions: { maxRetries: 0 },
    ...(agent === undefined ? {} : { agent }),
  });
  return {
    name: "sentinel",
    limits: SENTINEL_LIMITS,
    size: (record) => rows.size(record),
    async send(batch: readonly OutboundRecord[], signal: AbortSignal): Promise<SendOutcome> {
      try {
        await client.upload(
          config.ruleId,
          config.stream,
          batch.map((record) => rows.row(record)),
          { abortSignal: signal, maxConcurrency: 1 },
        );
        return { kind: "ok" };
      } catch (error) {
        // The client reports each failed request in an aggregate; a batch is one request, so one cause.
        const cause = isAggregateLogsUploadError(error) ? (error.errors[0]?.cause ?? error) : error;
        if (isAnswered(cause)) return classify(cause, cause.statusCode);
        throw untrustedCertificate(cause, url) ?? cause;
      }
    },
    close: () => {
      agent?.destroy();
      return Promise.resolve();
    },
  };
}

/** The client's RestError for an HTTP answer (checked by name, as the Azure SDK guidelines advise); one without status never got an answer. */
interface AnsweredError {
  readonly statusCode: number;
  /** The service's error code and message, from its `{"error":{"code","message"}}` body. */
  readonly code?: string;
  readonly message: string;
  readonly response?: { readonly headers: { get(name: string): string | undefined } };
}

function isAnswered(error: unknown): error is AnsweredError {
  return error instanceof Error && error.name === "RestError" && typeof (error as { statusCode?: unknown }).statusCode === "number";
}

/**
 * 400 (the rows do not fit the stream's declaration) and 413 (too large) refuse these rows for good: the driver halves
 * the batch until the refused row stands alone and dead-letters it. 403, 404 and a redirect are configuration (the
 * identity's role on the rule, which takes up to 30 minutes to apply; the endpoint, rule or stream), retried like
 * throttling and 5xx until an operator fixes them, so that nothing is dead-lettered meanwhile.
 */
function classify(error: AnsweredError, status: number): SendOutcome {
  if (status >= 200 && status < 300) return { kind: "ok" };
  const reason = statusReason(status, error.code === undefined ? "" : `${error.code}: ${error.message}`);
  const retryAfterMs = parseRetryAfter(error.response?.headers.get("retry-after"), Date.now());
  if (status === 400 || status === 413) return { kind: "permanent", reason };
  if (status === 401 || status === 403) {
    return {
      kind: "retry",
      reason: `${reason} (the managed identity needs Monitoring Metrics Publisher on the data collection rule; a new assignment takes up to 30 minutes)`,
    };
  }
  if (status === 404) return { kind: "retry", reason: `${reason} (check sinkUrl, sinkRuleId and sinkStream against the data collection rule)` };
  if (status >= 300 && status < 400) {
    return {
      kind: "retry",
      reason: `${reason}: the endpoint redirects to ${error.response?.headers.get("location") ?? "another place"}, and the token is only sent to sinkUrl; set sinkUrl to the data collection endpoint's Logs Ingestion URL`,
    };
  }
  return { kind: "retry", reason, retryAfterMs };
}
