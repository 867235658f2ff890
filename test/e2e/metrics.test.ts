import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { demoTenant, startEmulator, type Emulator } from "../../emulator/src/index.ts";
import { collectorEnvironment, logEntries, pollUntil, runCli, temporaryDirectory, type CliRun } from "./harness.ts";
import { unusedPort } from "../fixtures/ports.ts";

/** One sample of the Prometheus text format: name, labels, value. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels = Object.fromEntries([...(match[2] ?? "").matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1] as string, label[2] as string]));
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

/** `auditfeed run` with its Prometheus endpoint on loopback, scraped after the first cycle against the emulator. */
describe("metrics of auditfeed run, scraped from its Prometheus endpoint", () => {
  let emulator: Emulator;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let run: CliRun;
  let samples: Sample[];
  const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
    samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, wanted]) => sample.labels[key] === wanted))?.value;

  beforeAll(async () => {
    emulator = await startEmulator({
      seed: 12,
      now: new Date("2026-03-04T12:00:00.000Z"),
      freezeClock: true,
      tenants: [{ ...demoTenant(), historyHours: 3, faults: { duplicateRecordRate: 0.05 } }],
    });
    emulator.script({ op: "list-subscriptions", reply: "AF429-429" });
    directory = await temporaryDirectory();
    const port = await unusedPort();
    run = runCli(
      ["run"],
      collectorEnvironment(emulator, directory.path, {
        AUDITFEED_LOOKBACK: "2h",
        AUDITFEED_METRICS_LISTEN: `127.0.0.1:${port}`,
        AUDITFEED_POLL_INTERVAL: "1h",
      }),
    );
    const cycled = await pollUntil(
      () => logEntries(run.stderr()).filter((entry) => entry["msg"] === "Cycle finished for the content type.").length === 5,
      60_000,
      50,
    );
    expect(cycled, run.stderr().slice(-2_000)).toBe(true);
    samples = parseExposition(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text());
  }, 90_000);
  afterAll(async () => {
    run.child.kill("SIGTERM");
    await run.exit;
    await emulator.close();
    await directory.remove();
  });

  const finished = (contentType: string): Record<string, unknown> =>
    logEntries(run.stderr()).find((entry) => entry["msg"] === "Cycle finished for the content type." && entry["contentType"] === contentType) ?? {};

  it("should count records, blobs and duplicates per content type as the cycle delivered them", () => {
    for (const contentType of CONTENT_TYPES) {
      const labels = { content_type: contentType };
      expect(value("auditfeed_records_total", labels)).toBe(finished(contentType)["records"]);
      expect(value("auditfeed_duplicates_total", labels)).toBe(finished(contentType)["duplicates"]);
      expect(value("auditfeed_blobs_total", { ...labels, outcome: "delivered" })).toBe(finished(contentType)["blobs"]);
    }
    expect(samples.filter((sample) => sample.name === "auditfeed_duplicates_total").reduce((sum, sample) => sum + sample.value, 0)).toBeGreaterThan(0);
    expect(value("auditfeed_cycles_total", { outcome: "ok" })).toBe(1);
  });

  it("should count exactly the bytes the sink holds", async () => {
    const delivered = await readDeliveredRecords(join(directory.path, "events"));
    let bytes = 0;
    for (const file of delivered.files) for (const line of (await readFile(file, "utf8")).split("\n")) if (line !== "") bytes += Buffer.byteLength(line);
    const counted = samples.filter((sample) => sample.name === "auditfeed_bytes_total").reduce((sum, sample) => sum + sample.value, 0);
    expect(counted).toBe(bytes);
    expect(samples.filter((sample) => sample.name === "auditfeed_records_total").reduce((sum, sample) => sum + sample.value, 0)).toBe(delivered.lines);
  });

  it("should show lag, backlog and the time left before the 7-day horizon per content type", () => {
    for (const contentType of CONTENT_TYPES) {
      const labels = { content_type: contentType };
      const newest = finished(contentType)["newestDelivered"];
      if (typeof newest === "string") {
        const lag = value("auditfeed_lag", labels) as number;
        expect(lag).toBeGreaterThanOrEqual((Date.parse("2026-03-04T12:00:00.000Z") - Date.parse(newest)) / 1000 - 2);
        expect(lag).toBeLessThan(2 * 3600);
      }
      expect(value("auditfeed_backlog", labels)).toBe(0);
      const horizon = value("auditfeed_horizon_remaining", labels) as number;
      expect(horizon).toBeGreaterThan(7 * 86_400 - 16 * 60 - 120);
      expect(horizon).toBeLessThanOrEqual(7 * 86_400 - 15 * 60);
    }
  });

  it("should count the throttled response and its retry, and time the sink's flushes in seconds", () => {
    expect(value("auditfeed_api_throttled_total")).toBe(1);
    expect(value("auditfeed_api_retries_total")).toBeGreaterThanOrEqual(1);
    expect(value("auditfeed_sink_flush_duration_count")).toBeGreaterThan(0);
    expect(value("auditfeed_sink_flush_duration_bucket", { le: "60" })).toBe(value("auditfeed_sink_flush_duration_count"));
  });
});
