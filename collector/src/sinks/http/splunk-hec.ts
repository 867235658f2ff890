import { randomUUID } from "node:crypto";
import { sleep } from "../../retry/backoff.ts";
import type { OutboundRecord } from "../sink.ts";
import { classifyHttpStatus, type SendOutcome } from "../remote/outcome.ts";
import type { HttpSinkConfig } from "./config.ts";
import type { HttpClient } from "./http-client.ts";
import { statusReason, type HttpPreset } from "./preset.ts";

/**
 * The Splunk Add-on for Microsoft Office 365 files every content type under this sourcetype, and its field extractions
 * and CIM mappings key on it; so do we. The content type goes into `source`, which is what tells them apart in a search.
 */
export const HEC_SOURCETYPE = "o365:management:activity";

/** HEC error codes that mean "this payload, never" (https://docs.splunk.com: HEC error codes): no data, invalid format, event field missing or blank. */
const PAYLOAD_CODES = new Set([5, 6, 12, 13]);
const ACK_POLL_MS = 200;

interface HecAnswer {
  readonly code?: number;
  readonly text?: string;
  readonly ackId?: number;
  readonly acks?: Readonly<Record<string, boolean>>;
}

/**
 * Splunk HTTP Event Collector, `POST <base>/services/collector/event`: one event object per record with `time` from
 * CreationTime (epoch seconds), `source` the content type, `sourcetype` o365:management:activity, and the index if set.
 * With indexer acknowledgement (`sinkAck on`), a batch counts as delivered only once `/services/collector/ack` says it
 * is indexed; one that is not acknowledged within the request timeout is sent again (at least once).
 */
export function splunkHecPreset(config: HttpSinkConfig): HttpPreset {
  const headers: Record<string, string> = { "content-type": "application/json", authorization: `Splunk ${config.remote.secret ?? ""}` };
  // The channel only needs to be stable while acknowledgements are polled: one per sink instance.
  if (config.ack) headers["x-splunk-request-channel"] = randomUUID();
  const index = config.index === undefined ? "" : `,"index":${JSON.stringify(config.index)}`;
  const event = (record: OutboundRecord): string => {
    const time = record.creationTime === null ? "" : `"time":${(Date.parse(record.creationTime) / 1000).toFixed(3)},`;
    return `{${time}"source":${JSON.stringify(record.contentType)},"sourcetype":"${HEC_SOURCETYPE}"${index},"event":${record.json}}\n`;
  };
  return {
    limits: { maxRecords: 1_000, maxBytes: 1_000_000, ...config.limits },
    size: (record) => Buffer.byteLength(event(record)),
    async send(batch, client, signal) {
      let body = "";
      for (const record of batch) body += event(record);
      const answer = await client.post("/services/collector/event", body, headers, signal);
      const parsed = parse(answer.text);
      const reason = statusReason(answer.status, answer.text);
      if (answer.status === 400 && parsed.code !== undefined && PAYLOAD_CODES.has(parsed.code)) return { kind: "permanent", reason };
      if (answer.status === 400) return { kind: "retry", reason: `${reason} (check the sink's index and the HEC token's settings)` };
      const outcome = classifyHttpStatus(answer.status, reason, answer.retryAfterMs);
      if (outcome.kind !== "ok" || !config.ack) return outcome;
      if (parsed.ackId === undefined)
        return { kind: "retry", reason: "sinkAck is on but HEC returned no ackId: enable indexer acknowledgement on the token, or set sinkAck off" };
      return awaitAck(client, headers, parsed.ackId, signal);
    },
  };
}

/** Polls until HEC reports the batch indexed; the request's timeout (its signal) bounds the wait. */
async function awaitAck(client: HttpClient, headers: Readonly<Record<string, string>>, ackId: number, signal: AbortSignal): Promise<SendOutcome> {
  for (;;) {
    await sleep(ACK_POLL_MS, signal);
    const answer = await client.post("/services/collector/ack", JSON.stringify({ acks: [ackId] }), headers, signal);
    if (answer.status !== 200)
      return classifyHttpStatus(answer.status, `acknowledgement query: ${statusReason(answer.status, answer.text)}`, answer.retryAfterMs);
    if (parse(answer.text).acks?.[String(ackId)] === true) return { kind: "ok" };
  }
}

function parse(text: string): HecAnswer {
  try {
    const value = JSON.parse(text) as HecAnswer | null;
    return value !== null && typeof value === "object" ? value : {};
  } catch {
    return {};
  }
}
