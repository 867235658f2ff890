import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { DEMO_TENANT, demoTenant, startEmulator, type Emulator } from "../../emulator/src/index.ts";
import { collectorEnvironment, logEntries, pollUntil, ROOT, runCli, temporaryDirectory } from "./harness.ts";
import { startOtlpReceiver, type OtlpExport, type OtlpPoint, type OtlpReceiver } from "./otlp-receiver.ts";

const START = new Date("2026-03-04T12:00:00.000Z");
const CYCLE_FINISHED = "Cycle finished for the content type.";

/** The instrument names docs/metrics.md documents (first column of its instruments table). */
async function documentedInstruments(): Promise<string[]> {
  const text = await readFile(join(ROOT, "docs/metrics.md"), "utf8");
  return [...text.matchAll(/^\| `(auditfeed\.[\w.]+)` \|/gm)].map((match) => match[1] as string);
}

/**
 * `auditfeed once` with `--otlp-metrics-url` pointed at a local OTLP/HTTP receiver: the push interval (60 s) is far
 * longer than the run, so whatever arrives was flushed when the run ended, before the process exited.
 */
describe("OTLP metrics push of auditfeed once", () => {
  let emulator: Emulator;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let receiver: OtlpReceiver;
  let logs: Record<string, unknown>[];
  let code: number | null;

  beforeAll(async () => {
    emulator = await startEmulator({
      seed: 31,
      now: START,
      freezeClock: true,
      tenants: [{ ...demoTenant(), historyHours: 3, faults: { duplicateRecordRate: 0.05 } }],
    });
    emulator.script({ op: "list-subscriptions", reply: "AF429-429" });
    directory = await temporaryDirectory();
    receiver = await startOtlpReceiver();
    const once = runCli(["once"], collectorEnvironment(emulator, directory.path, { AUDITFEED_LOOKBACK: "2h", AUDITFEED_OTLP_METRICS_URL: receiver.url }));
    code = (await once.exit).code;
    logs = logEntries(once.stderr());
  }, 90_000);
  afterAll(async () => {
    await receiver.close();
    await emulator.close();
    await directory.remove();
  });

  const pushed = (): OtlpExport => receiver.exports[0] as OtlpExport;
  const points = (metric: string, attributes: Record<string, string> = {}): OtlpPoint[] =>
    pushed().points.filter((point) => point.metric === metric && Object.entries(attributes).every(([key, value]) => point.attributes[key] === value));
  const value = (metric: string, attributes: Record<string, string> = {}): number | undefined => points(metric, attributes)[0]?.value;
  const finished = (contentType: string): Record<string, unknown> =>
    logs.find((entry) => entry["msg"] === CYCLE_FINISHED && entry["contentType"] === contentType) ?? {};

  it("should push once, when the run ends, OTLP/HTTP JSON with the collector's resource", () => {
    expect(code).toBe(0);
    expect(receiver.exports).toHaveLength(1);
    expect(pushed().contentType).toMatch(/^application\/json/);
    expect(pushed().resource).toMatchObject({ "service.name": "auditfeed", "auditfeed.tenant_id": DEMO_TENANT });
  });

  it("should carry every instrument docs/metrics.md lists, and none it does not", async () => {
    const documented = await documentedInstruments();
    expect(documented.length).toBeGreaterThanOrEqual(12);
    expect([...new Set(pushed().points.map((point) => point.metric))].sort()).toEqual([...documented].sort());
  });

  it("should count per content type what the cycle delivered, and the gauges as the cycle left them", () => {
    for (const contentType of CONTENT_TYPES) {
      const labels = { content_type: contentType };
      const report = finished(contentType);
      expect(value("auditfeed.records", labels)).toBe(report["records"]);
      expect(value("auditfeed.bytes", labels)).toBe(report["bytes"]);
      expect(value("auditfeed.duplicates", labels)).toBe(report["duplicates"]);
      expect(value("auditfeed.blobs", { ...labels, outcome: "delivered" })).toBe(report["blobs"]);
      expect(value("auditfeed.backlog", labels)).toBe(0);
      expect(value("auditfeed.quarantined", labels)).toBe(0);
      // Gauges are read when the run ends, a moment after the cycle logged them: the same to within seconds.
      expect(Math.abs((value("auditfeed.lag", labels) as number) - Number(report["lagMs"]) / 1000)).toBeLessThan(30);
      expect(Math.abs((value("auditfeed.horizon.remaining", labels) as number) - Number(report["horizonLeftMs"]) / 1000)).toBeLessThan(30);
    }
    expect(points("auditfeed.duplicates").reduce((sum, point) => sum + point.value, 0)).toBeGreaterThan(0);
    expect(value("auditfeed.cycles", { outcome: "ok" })).toBe(1);
    expect(value("auditfeed.api.throttled")).toBe(1);
    expect(value("auditfeed.api.retries")).toBeGreaterThanOrEqual(1);
    expect(value("auditfeed.sink.flush.duration")).toBeGreaterThan(0);
  });
});

/** A receiver that accepts the push and never answers must not hold up `auditfeed run` after SIGTERM. */
describe("OTLP metrics push to a stuck receiver, then SIGTERM", () => {
  let emulator: Emulator;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let receiver: OtlpReceiver;

  beforeAll(async () => {
    emulator = await startEmulator({ seed: 32, now: START, freezeClock: true, tenants: [{ ...demoTenant(), historyHours: 2 }] });
    directory = await temporaryDirectory();
    receiver = await startOtlpReceiver({ hang: true });
  });
  afterAll(async () => {
    await receiver.close();
    await emulator.close();
    await directory.remove();
  });

  it("should give the last push 2 seconds, cut it, warn, and exit", async () => {
    const run = runCli(
      ["run"],
      collectorEnvironment(emulator, directory.path, { AUDITFEED_LOOKBACK: "1h", AUDITFEED_POLL_INTERVAL: "1h", AUDITFEED_OTLP_METRICS_URL: receiver.url }),
    );
    const cycled = await pollUntil(() => logEntries(run.stderr()).filter((entry) => entry["msg"] === CYCLE_FINISHED).length === 5, 60_000, 50);
    expect(cycled, run.stderr().slice(-2_000)).toBe(true);
    const stoppedAt = Date.now();
    run.child.kill("SIGTERM");
    const exited = await run.exit;
    const tookMs = Date.now() - stoppedAt;
    expect(exited).toEqual({ code: 0, signal: null });
    expect(receiver.requests()).toBeGreaterThanOrEqual(1);
    // 2 s for the push, the rest for closing the state under a loaded machine; without the cut it is 10 s or more.
    expect(tookMs).toBeLessThan(8_000);
    const warned = logEntries(run.stderr()).find((entry) => String(entry["msg"]).startsWith("The last metrics push did not complete"));
    expect(warned?.["level"]).toBe("warn");
  }, 90_000);
});
