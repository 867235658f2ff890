import type { OutboundRecord } from "../sink.ts";
import { classifyHttpStatus, type FailedRecord, type SendOutcome } from "../remote/outcome.ts";
import type { HttpSinkConfig } from "./config.ts";
import { statusReason, type HttpPreset } from "./preset.ts";

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
  };
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
