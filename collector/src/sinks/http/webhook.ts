import type { OutboundRecord } from "../sink.ts";
import { classifyHttpStatus } from "../remote/outcome.ts";
import type { HttpSinkConfig } from "./config.ts";
import { statusReason, type HttpPreset } from "./preset.ts";

/** NDJSON POSTed to the URL as given, one record a line, the secret (if any) in the configured header. */
export function webhookPreset(config: HttpSinkConfig): HttpPreset {
  const headers: Record<string, string> = { "content-type": "application/x-ndjson" };
  if (config.remote.secret !== undefined) headers[config.header.toLowerCase()] = config.remote.secret;
  return {
    limits: { maxRecords: 1_000, maxBytes: 5_000_000, ...config.limits },
    size: (record) => Buffer.byteLength(record.json) + 1,
    async send(batch, client, signal) {
      const answer = await client.post("", ndjson(batch), headers, signal);
      return classifyHttpStatus(answer.status, statusReason(answer.status, answer.text), answer.retryAfterMs);
    },
  };
}

function ndjson(batch: readonly OutboundRecord[]): string {
  let body = "";
  for (const record of batch) body += `${record.json}\n`;
  return body;
}
