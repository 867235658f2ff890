import { classifyHttpStatus } from "../remote/outcome.ts";
import type { HttpSinkConfig } from "./config.ts";
import { statusReason, type HttpPreset } from "./preset.ts";

/**
 * Sekoia.io's HTTP intake, `POST <base>/batch` with `{"intake_key", "jsons": [each record as a string]}`: the base is
 * https://intake.sekoia.io (FRA1) or https://intake.<region>.sekoia.io/api/v1/intake-http. Sekoia's own connectors
 * keep a payload under 10 MiB and an event under 250,000 bytes; so do we.
 */
export function sekoiaPreset(config: HttpSinkConfig): HttpPreset {
  const intakeKey = JSON.stringify(config.remote.secret ?? "");
  return {
    limits: { maxRecords: 10_000, maxBytes: 9_000_000, maxRecordBytes: 250_000, ...config.limits },
    // Each record travels as a JSON string: its quotes and escapes count.
    size: (record) => Buffer.byteLength(JSON.stringify(record.json)) + 1,
    async send(batch, client, signal) {
      const body = `{"intake_key":${intakeKey},"jsons":[${batch.map((record) => JSON.stringify(record.json)).join(",")}]}`;
      const answer = await client.post("/batch", body, { "content-type": "application/json" }, signal);
      return classifyHttpStatus(answer.status, statusReason(answer.status, answer.text), answer.retryAfterMs);
    },
  };
}
