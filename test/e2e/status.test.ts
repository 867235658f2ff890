import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContentTypeStatus } from "../../collector/src/health/status.ts";
import { readDeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { statusCommand } from "../../cli/src/status.ts";
import { humanDuration } from "../../cli/src/summary.ts";
import { DEMO_TENANT, demoTenant, startEmulator, type Emulator, type ScriptedFault } from "../../emulator/src/index.ts";
import { collectorEnvironment, logEntries, runCli, temporaryDirectory } from "./harness.ts";
import { startOtlpReceiver, type OtlpExport } from "./otlp-receiver.ts";

const HOUR = 3_600_000;
const START = new Date("2026-03-04T12:00:00.000Z");
const PAUSE_HOURS = 3;
/** Where the emulator's pinned clock stands for the last runs and for status: three virtual hours after the first. */
const LATER = new Date(START.getTime() + PAUSE_HOURS * HOUR);
const RUNS = 3;
const BLOB_FAILED = "Fetching a blob failed; it stays pending and is retried next cycle.";

interface StatusJson {
  readonly now: string;
  readonly clockSkewMs: number;
  readonly throttled: number;
  readonly retries: number;
  readonly contentTypes: ContentTypeStatus[];
}

/**
 * Three runs of `auditfeed once` against known faults, then `auditfeed status` on the emulator's pinned clock:
 * - Audit.SharePoint: its three oldest blobs are refused in every run (a known backlog of three, retried);
 * - Audit.AzureActiveDirectory: one blob's body is not a JSON array in every run, so the third run quarantines it;
 * - Audit.General cannot be listed in the third run, three virtual hours later (a known lag);
 * - Audit.Exchange cannot be listed at all while the first run looked back six days (within 24 h of the horizon);
 * - one throttled response.
 * A fourth run then pushes its metrics over OTLP, which must show the same quarantine and backlog.
 */
describe("auditfeed status after runs with known faults", () => {
  let emulator: Emulator;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let env: Record<string, string>;
  const logs: Array<Record<string, unknown>[]> = [];
  const codes: Array<number | null> = [];
  let quarantinedId: string;
  let status: StatusJson;
  let pinned: StatusJson;
  let statusCode: number;
  let printed = "";
  let pushed: OtlpExport[];
  const byType = (from: StatusJson, contentType: string): ContentTypeStatus =>
    from.contentTypes.find((entry) => entry.contentType === contentType) as ContentTypeStatus;

  beforeAll(async () => {
    emulator = await startEmulator({
      seed: 21,
      now: START,
      freezeClock: true,
      tenants: [{ ...demoTenant(), historyHours: 6 * 24 + 2, eventsPerHour: Object.fromEntries(CONTENT_TYPES.map((type) => [type, 8])) }],
    });
    directory = await temporaryDirectory();
    env = collectorEnvironment(emulator, directory.path, { AUDITFEED_LOOKBACK: "6d" });
    const notListable = { status: 400, body: { error: { code: "AF20020", message: "The specified content type is not valid." } } };
    const forbidden = {
      status: 403,
      body: { error: { code: "AF10001", message: "The permission set () sent in the request does not include the expected permission." } },
    };
    const malformed = { status: 200, body: { Id: "a JSON object where the API sends an array" } };
    emulator.script({ op: "list-subscriptions", reply: "AF429-429" });
    emulator.script({ op: "list-content", contentType: "Audit.Exchange", times: 1_000, reply: notListable });
    const runOnce = async (faults: ScriptedFault[], extra: Record<string, string> = {}): Promise<void> => {
      for (const fault of faults) emulator.script(fault);
      const once = runCli(["once"], { ...env, ...extra });
      codes.push((await once.exit).code);
      logs.push(logEntries(once.stderr()));
    };
    // The oldest blobs are fetched first, so the same three SharePoint blobs fail in every run.
    const sharePoint: ScriptedFault = { op: "fetch", contentType: "Audit.SharePoint", times: 3, reply: forbidden };
    await runOnce([sharePoint, { op: "fetch", contentType: "Audit.AzureActiveDirectory", reply: malformed }]);
    const failed = logs[0]?.find((entry) => entry["msg"] === BLOB_FAILED && entry["contentType"] === "Audit.AzureActiveDirectory");
    quarantinedId = String(failed?.["contentId"]);
    const sameBlob: ScriptedFault = { op: "fetch", contentId: quarantinedId, reply: malformed };
    await runOnce([sharePoint, sameBlob]);
    emulator.clock.advance(PAUSE_HOURS * HOUR);
    await runOnce([sharePoint, sameBlob, { op: "list-content", contentType: "Audit.General", times: 1_000, reply: notListable }]);

    let text = "";
    statusCode = await statusCommand(["--json"], env, (chunk) => (text += chunk));
    status = JSON.parse(text) as StatusJson;
    text = "";
    await statusCommand(
      ["--json"],
      env,
      (chunk) => (text += chunk),
      () => emulator.clock.now(),
    );
    pinned = JSON.parse(text) as StatusJson;
    await statusCommand(
      [],
      env,
      (chunk) => (printed += chunk),
      () => emulator.clock.now(),
    );

    const receiver = await startOtlpReceiver();
    try {
      await runOnce([sharePoint], { AUDITFEED_OTLP_METRICS_URL: receiver.url });
      pushed = receiver.exports;
    } finally {
      await receiver.close();
    }
  }, 180_000);
  afterAll(async () => {
    await emulator.close();
    await directory.remove();
  });

  const finished = (run: number, contentType: string): Record<string, unknown> =>
    logs[run]?.find((entry) => entry["msg"] === "Cycle finished for the content type." && entry["contentType"] === contentType) ?? {};
  const overRuns = (contentType: string, field: string): number =>
    Array.from({ length: RUNS }, (_, run) => Number(finished(run, contentType)[field] ?? 0)).reduce((sum, value) => sum + value, 0);

  it("should count every record and blob delivered, as the runs reported and the sink holds", async () => {
    let records = 0;
    for (const contentType of CONTENT_TYPES) {
      expect(byType(status, contentType).records).toBe(overRuns(contentType, "records"));
      expect(byType(status, contentType).blobs).toBe(overRuns(contentType, "blobs"));
      records += overRuns(contentType, "records");
    }
    expect(records).toBeGreaterThan(1_000);
    // The fourth run delivered SharePoint's blobs that were not refused in it, nothing else was new.
    const fourth = CONTENT_TYPES.reduce((sum, contentType) => sum + Number(finished(RUNS, contentType)["records"] ?? 0), 0);
    expect((await readDeliveredRecords(join(directory.path, "events"))).lines).toBe(records + fourth);
  });

  it("should show the known backlog: the three SharePoint blobs still retried, and no quarantined blob among them", () => {
    const sharePoint = byType(pinned, "Audit.SharePoint");
    expect(sharePoint.backlog).toBe(3);
    expect(sharePoint.quarantined).toEqual([]);
    expect(sharePoint.errors["AF_ERR_PERMISSION"]?.count).toBe(RUNS);
    expect(byType(pinned, "Audit.General").backlog).toBe(0);
  });

  it("should show the quarantined blob as the state persisted it: content id, code, first and last failure, apart from the backlog", () => {
    const directory = byType(pinned, "Audit.AzureActiveDirectory");
    expect(directory.backlog).toBe(0);
    expect(directory.quarantined).toHaveLength(1);
    const [blob] = directory.quarantined;
    expect(blob).toMatchObject({ contentId: quarantinedId, code: "AF_ERR_BLOB_MALFORMED", failures: 3 });
    // Failures are stamped with the server's clock as the run measured it (whole seconds of the Date header).
    const near = (iso: string | undefined, at: Date): void => {
      expect(Math.abs(Date.parse(iso as string) - at.getTime()), iso).toBeLessThan(30_000);
    };
    near(blob?.firstFailedAt, START);
    near(blob?.lastFailedAt, LATER);
    expect(blob?.quarantinedAt).toBe(blob?.lastFailedAt);
    expect(directory.errors["AF_ERR_BLOB_MALFORMED"]?.count).toBe(RUNS);
    expect(codes.slice(0, RUNS)).toEqual([1, 1, 1]);
    for (const contentType of CONTENT_TYPES.filter((type) => type !== "Audit.AzureActiveDirectory"))
      expect(byType(pinned, contentType).quarantined).toEqual([]);
  });

  it("should show the known lag on the emulator's pinned clock: the newest General blob of the first runs, three hours on", () => {
    const general = byType(pinned, "Audit.General");
    const newest = finished(0, "Audit.General")["newestDelivered"] as string;
    expect(general.newestDelivered).toBe(newest);
    expect(Date.parse(newest)).toBeLessThanOrEqual(START.getTime());
    expect(pinned.now).toBe(LATER.toISOString());
    expect(general.lagMs).toBe(LATER.getTime() - Date.parse(newest));
    expect(general.errors["AF_ERR_CONFIG"]?.count).toBe(1);
    expect(byType(pinned, "Audit.AzureActiveDirectory").lagMs as number).toBeLessThan(general.lagMs as number);
  });

  it("should show the time left before the 7-day horizon on the pinned clock, and log an error and exit 1 within 24 h of it", () => {
    const exchange = byType(pinned, "Audit.Exchange");
    const horizon = START.getTime() - 6 * 24 * HOUR + 7 * 24 * HOUR - 15 * 60_000;
    expect(exchange.horizonAt).toBe(new Date(horizon).toISOString());
    expect(exchange.horizonLeftMs).toBe(horizon - LATER.getTime());
    expect(exchange.records).toBe(0);
    expect(statusCode).toBe(1);
    const warned = logs[RUNS - 1]?.filter((entry) => entry["level"] === "error" && String(entry["msg"]).includes("within 24 hours of the 7-day horizon")) ?? [];
    // SharePoint too: its failing blobs are six days old, and expire within the day.
    expect(warned.map((entry) => entry["contentType"]).sort()).toEqual(["Audit.Exchange", "Audit.SharePoint"]);
    expect(warned.find((entry) => entry["contentType"] === "Audit.Exchange")?.["horizonAt"]).toBe(exchange.horizonAt);
    expect(byType(pinned, "Audit.SharePoint").horizonLeftMs).toBeLessThan(24 * HOUR);
    expect(byType(pinned, "Audit.AzureActiveDirectory").horizonLeftMs).toBeGreaterThan(6 * 24 * HOUR);
  });

  it("should, without a given clock, read the server's time as the last run measured it (this host's clock plus the skew)", () => {
    expect(Math.abs(status.clockSkewMs - (LATER.getTime() - Date.now()))).toBeLessThan(120_000);
    const general = byType(status, "Audit.General");
    const expected = LATER.getTime() - Date.parse(general.newestDelivered as string);
    expect(general.lagMs as number).toBeGreaterThanOrEqual(expected - 2_000);
    expect(general.lagMs as number).toBeLessThan(expected + 120_000);
    expect(byType(status, "Audit.AzureActiveDirectory").quarantined).toEqual(byType(pinned, "Audit.AzureActiveDirectory").quarantined);
  });

  it("should count the throttled response and the retry it caused", () => {
    expect(pinned.throttled).toBe(1);
    expect(pinned.retries).toBeGreaterThanOrEqual(1);
  });

  it("should end each once with a one-line summary", () => {
    const summary = logs[RUNS - 1]?.at(-1);
    expect(summary?.["msg"]).toMatch(
      /^Run finished: [\d,]+ records in [\d,]+ blobs \([\d,]+ duplicates dropped\), backlog 3 blobs, 3 of 5 content types collected, nearest horizon in 20h 4\dm \(Audit\.Exchange\), exit 1\.$/,
    );
    expect(summary?.["exitCode"]).toBe(1);
  });

  it("should print the same figures as a table, the quarantined blob on its own line", () => {
    const row = (contentType: string): string[] =>
      (new RegExp(`^ {2}${contentType.replace(".", "\\.")} .*$`, "m").exec(printed)?.[0] ?? "").trim().split(/ {2,}/);
    const general = byType(pinned, "Audit.General");
    // content type, newest delivered, lag, backlog, quarantined, horizon in, records, blobs, duplicates, expired
    expect(row("Audit.General").slice(0, 6)).toEqual([
      "Audit.General",
      general.newestDelivered,
      humanDuration(general.lagMs as number),
      "0",
      "0",
      humanDuration(general.horizonLeftMs),
    ]);
    expect(row("Audit.SharePoint").slice(3, 5)).toEqual(["3", "0"]);
    expect(row("Audit.AzureActiveDirectory").slice(3, 5)).toEqual(["0", "1"]);
    expect(row("Audit.Exchange")[5]).toBe("20h 45m !");
    expect(printed).toContain("Throttling: 1 throttled responses");
    expect(printed).toContain("Audit.Exchange, Audit.SharePoint within 24 hours of the 7-day horizon");
    expect(printed).toContain(`Audit.SharePoint AF_ERR_PERMISSION: ${RUNS}x`);
    const [blob] = byType(pinned, "Audit.AzureActiveDirectory").quarantined;
    expect(printed).toContain(
      `Quarantined blobs (not fetched again; their records are not delivered: recover them with Purview audit search):\n  Audit.AzureActiveDirectory ${quarantinedId} (created ${blob?.contentCreated}) AF_ERR_BLOB_MALFORMED: failed 3x from ${blob?.firstFailedAt} to ${blob?.lastFailedAt}:`,
    );
  });

  it("should push the persisted quarantine and the backlog as metrics over OTLP when the next run ends", () => {
    expect(codes[RUNS]).toBe(1);
    expect(pushed.length).toBeGreaterThan(0);
    const last = pushed.at(-1) as OtlpExport;
    expect(last.resource).toMatchObject({ "service.name": "auditfeed", "auditfeed.tenant_id": DEMO_TENANT });
    const gauge = (metric: string, contentType: string): number | undefined =>
      last.points.find((point) => point.metric === metric && point.attributes["content_type"] === contentType)?.value;
    for (const contentType of CONTENT_TYPES) {
      expect(gauge("auditfeed.quarantined", contentType), contentType).toBe(contentType === "Audit.AzureActiveDirectory" ? 1 : 0);
    }
    expect(gauge("auditfeed.backlog", "Audit.SharePoint")).toBe(3);
    expect(emulator.requests.filter((request) => request.op === "fetch" && request.path.includes(quarantinedId))).toHaveLength(RUNS);
  });
});
