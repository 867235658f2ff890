import { randomUUID } from "node:crypto";
import { sleep } from "../../retry/backoff.ts";
import type { OutboundRecord } from "../sink.ts";
import { classifyHttpStatus, type SendOutcome } from "../remote/outcome.ts";
import type { HttpSinkConfig } from "./config.ts";
import type { HttpClient } from "./http-client.ts";
import { statusReason, type HttpPreset } from "./preset.ts";
import { checkFailed, checkPassed, type SinkCheckResult } from "../sink-check.ts";

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
    check: (client, signal) => checkHec(client, headers, config.ack, signal),
  };
}

/**
 * HEC's health endpoint (no token), then an empty event request: HEC authenticates it and answers "No data" (code 5)
 * without indexing anything, or names what is wrong with the token; with `sinkAck on`, an acknowledgement query,
 * which a token without indexer acknowledgement refuses (code 14).
 */
async function checkHec(client: HttpClient, headers: Readonly<Record<string, string>>, ack: boolean, signal: AbortSignal): Promise<SinkCheckResult> {
  const health = await client.get("/services/collector/health", {}, signal);
  if (health.status !== 200) {
    const reason = statusReason(health.status, health.text);
    if (health.status === 503) {
      return checkFailed(
        `HEC reports itself unhealthy (${reason}).`,
        "Splunk's indexing queues are full or the server is busy: ask the Splunk administrator to check the indexers; the collector retries meanwhile.",
      );
    }
    return checkFailed(
      `HEC's health endpoint answered ${reason}.`,
      "Set sinkUrl to the HEC base URL (https://<host>:8088, no path), and check that HTTP Event Collector is enabled in Splunk (Settings > Data inputs > HTTP Event Collector > Global Settings).",
    );
  }
  const empty = await client.post("/services/collector/event", "", headers, signal);
  const answer = parse(empty.text);
  if (empty.status !== 400 || answer.code !== 5) {
    const reason = statusReason(empty.status, empty.text);
    if (answer.code === 1)
      return checkFailed(`HEC refused the token (${reason}).`, "The HEC token is disabled: enable it in Splunk, or set sinkSecret to an enabled token.");
    if (answer.code === 4 || answer.code === 2 || answer.code === 3) {
      return checkFailed(
        `HEC refused the token (${reason}).`,
        "Set sinkSecret (AUDITFEED_SINK_SECRET) to the token value shown in Splunk under Settings > Data inputs > HTTP Event Collector.",
      );
    }
    return checkFailed(
      `HEC answered an empty event request with ${reason}.`,
      "Check sinkSecret and the token's settings in Splunk (allowed indexes, sinkIndex).",
    );
  }
  if (ack) {
    const query = await client.post("/services/collector/ack", JSON.stringify({ acks: [0] }), headers, signal);
    if (query.status !== 200) {
      const reason = statusReason(query.status, query.text);
      return parse(query.text).code === 14
        ? checkFailed(
            `sinkAck is on, but the token has indexer acknowledgement off (${reason}).`,
            "Turn on 'Enable indexer acknowledgement' on the HEC token, or set sinkAck off.",
          )
        : checkFailed(`HEC refused an acknowledgement query (${reason}).`, "Turn on 'Enable indexer acknowledgement' on the HEC token, or set sinkAck off.");
    }
  }
  return checkPassed(`HEC is healthy and accepts the token${ack ? ", with indexer acknowledgement" : ""} (an empty request; nothing was indexed).`);
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
