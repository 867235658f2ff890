import type { OutboundRecord } from "../sink.ts";
import { classifyHttpStatus, type FailedRecord, type SendOutcome } from "../remote/outcome.ts";
import type { HttpSinkConfig } from "./config.ts";
import type { HttpClient } from "./http-client.ts";
import { statusReason, type HttpPreset } from "./preset.ts";
import { checkFailed, checkPassed, type SinkCheckResult } from "../sink-check.ts";

/** Only the failures and statuses come back: a full batch's answer stays small. */
const BULK_PATH = "/_bulk?filter_path=errors,items.*.status,items.*.error.type,items.*.error.reason";

interface BulkAnswer {
  readonly errors?: boolean;
  readonly items?: ReadonlyArray<Readonly<Record<string, { readonly status?: number; readonly error?: { readonly type?: string; readonly reason?: string } }>>>;
}

/**
 * Elasticsearch and OpenSearch `_bulk` with `create` actions whose `_id` is the record's Id: a batch sent again (a
 * retry, a restart after a crash) creates nothing twice; the index answers 409 for what it already holds, which counts
 * as delivered. Each item's failure is handled alone: 429 and 5xx are sent again, other refusals go to the dead letter.
 * `@timestamp` is set from CreationTime (data streams require it).
 */
export function elasticsearchPreset(config: HttpSinkConfig): HttpPreset {
  const headers: Record<string, string> = { "content-type": "application/x-ndjson" };
  if (config.remote.secret !== undefined) headers["authorization"] = `ApiKey ${config.remote.secret}`;
  const index = JSON.stringify(config.index ?? "");
  const action = (record: OutboundRecord): string => `{"create":{"_index":${index},"_id":${JSON.stringify(record.id)}}}\n`;
  const document = (record: OutboundRecord): string =>
    record.creationTime === null || !record.json.startsWith("{") || record.json === "{}"
      ? record.json
      : `{"@timestamp":${JSON.stringify(record.creationTime)},${record.json.slice(1)}`;
  return {
    limits: { maxRecords: 5_000, maxBytes: 5_000_000, ...config.limits },
    size: (record) => Buffer.byteLength(action(record)) + Buffer.byteLength(document(record)) + 30,
    async send(batch, client, signal) {
      let body = "";
      for (const record of batch) body += `${action(record)}${document(record)}\n`;
      const answer = await client.post(BULK_PATH, body, headers, signal);
      if (answer.status !== 200) return classifyHttpStatus(answer.status, statusReason(answer.status, answer.text), answer.retryAfterMs);
      return itemOutcomes(answer.text, batch.length);
    },
    check: (client, signal) => pingCluster(client, headers, signal),
  };
}

/** `GET /` with the API key: the cluster's name and version, or why it refused the key. Reads, writes nothing. */
async function pingCluster(client: HttpClient, headers: Readonly<Record<string, string>>, signal: AbortSignal): Promise<SinkCheckResult> {
  const answer = await client.get("/", { authorization: headers["authorization"] ?? "" }, signal);
  const reason = statusReason(answer.status, answer.text);
  if (answer.status === 200) {
    let cluster: { cluster_name?: string; version?: { number?: string; distribution?: string } } = {};
    try {
      cluster = JSON.parse(answer.text) as typeof cluster;
    } catch {
      return checkFailed(
        `sinkUrl answers, but not as an Elasticsearch or OpenSearch cluster (${reason}).`,
        "Set sinkUrl to the cluster's base URL (https://<host>:9200).",
      );
    }
    const version = `${cluster.version?.distribution ?? "elasticsearch"} ${cluster.version?.number ?? "(unknown version)"}`;
    return checkPassed(`cluster ${cluster.cluster_name ?? "(unnamed)"} (${version}) answers and accepts the API key.`);
  }
  if (answer.status === 401) {
    return checkFailed(
      `The cluster refused the API key (${reason}).`,
      "Set sinkSecret (AUDITFEED_SINK_SECRET) to the API key's encoded value (the base64 of id:api_key, 'encoded' in the create API key answer); the key must not be expired or invalidated.",
    );
  }
  // Authenticated, but not allowed to read cluster information, which delivery does not need (create_doc does).
  if (answer.status === 403) return checkPassed("the cluster accepts the API key (it may not read cluster information, which delivery does not need).");
  return checkFailed(`The cluster answered GET / with ${reason}.`, "Set sinkUrl to the cluster's base URL (https://<host>:9200), without an index or path.");
}

function itemOutcomes(text: string, expected: number): SendOutcome {
  let parsed: BulkAnswer;
  try {
    parsed = JSON.parse(text) as BulkAnswer;
  } catch {
    return { kind: "retry", reason: `the _bulk answer is not JSON: ${text.slice(0, 200)}` };
  }
  if (parsed.errors !== true) return { kind: "ok" };
  const items = parsed.items ?? [];
  if (items.length !== expected) return { kind: "retry", reason: `the _bulk answer lists ${items.length} items for ${expected} documents` };
  const failed: FailedRecord[] = [];
  items.forEach((item, index) => {
    const result = Object.values(item)[0];
    const status = result?.status ?? 0;
    // 409 on create: the document with this _id is already there, from an earlier attempt.
    if ((status >= 200 && status < 300) || status === 409) return;
    const reason = `${status} ${result?.error?.type ?? "error"}: ${result?.error?.reason ?? ""}`.trim();
    failed.push({ index, reason, retry: status === 429 || status >= 500 || status === 0 });
  });
  return failed.length === 0 ? { kind: "ok" } : { kind: "partial", failed };
}
