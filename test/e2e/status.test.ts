import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ContentTypeStatus } from "../../collector/src/health/status.ts";
import { readDeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { statusCommand } from "../../cli/src/status.ts";
import { demoTenant, startEmulator, type Emulator } from "../../emulator/src/index.ts";
import { collectorEnvironment, logEntries, runCli, temporaryDirectory } from "./harness.ts";

const HOUR = 3_600_000;
const START = new Date("2026-03-04T12:00:00.000Z");
const PAUSE_HOURS = 3;

interface StatusJson {
  readonly throttled: number;
  readonly retries: number;
  readonly contentTypes: ContentTypeStatus[];
}

/**
 * Two runs of `auditfeed once` against known faults, then `auditfeed status`: Audit.SharePoint has three blobs that
 * fail (a known backlog), Audit.General cannot be listed in the second run three virtual hours later (a known lag),
 * Audit.Exchange cannot be listed at all while the first run looked back six days (within 24 h of the horizon), and
 * one throttled response.
 */
describe("auditfeed status after runs with known faults", () => {
  let emulator: Emulator;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let env: Record<string, string>;
  const logs: Array<Record<string, unknown>[]> = [];
  let status: StatusJson;
  let statusCode: number;
  const byType = (contentType: string): ContentTypeStatus => status.contentTypes.find((entry) => entry.contentType === contentType) as ContentTypeStatus;

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
    emulator.script({ op: "list-subscriptions", reply: "AF429-429" });
    emulator.script({ op: "list-content", contentType: "Audit.Exchange", times: 100, reply: notListable });
    const forbidden = {
      status: 403,
      body: { error: { code: "AF10001", message: "The permission set () sent in the request does not include the expected permission." } },
    };
    for (let run = 0; run < 2; run++) {
      // The oldest blobs are fetched first, so the same three SharePoint blobs fail in both runs.
      emulator.script({ op: "fetch", contentType: "Audit.SharePoint", times: 3, reply: forbidden });
      if (run === 1) {
        emulator.clock.advance(PAUSE_HOURS * HOUR);
        emulator.script({ op: "list-content", contentType: "Audit.General", times: 100, reply: notListable });
      }
      const once = runCli(["once"], env);
      await once.exit;
      logs.push(logEntries(once.stderr()));
    }
    let printed = "";
    statusCode = await statusCommand(["--json"], env, (text) => (printed += text));
    status = JSON.parse(printed) as StatusJson;
  }, 120_000);
  afterAll(async () => {
    await emulator.close();
    await directory.remove();
  });

  const finished = (run: number, contentType: string): Record<string, unknown> =>
    logs[run]?.find((entry) => entry["msg"] === "Cycle finished for the content type." && entry["contentType"] === contentType) ?? {};

  it("should count every record and blob delivered, as the runs reported and the sink holds", async () => {
    let records = 0;
    for (const contentType of CONTENT_TYPES) {
      const reported = [0, 1].reduce((sum, run) => sum + Number(finished(run, contentType)["records"] ?? 0), 0);
      const blobs = [0, 1].reduce((sum, run) => sum + Number(finished(run, contentType)["blobs"] ?? 0), 0);
      expect(byType(contentType).records).toBe(reported);
      expect(byType(contentType).blobs).toBe(blobs);
      records += reported;
    }
    expect(records).toBeGreaterThan(1_000);
    expect((await readDeliveredRecords(join(directory.path, "events"))).lines).toBe(records);
  });

  it("should show the known backlog: the three blobs that failed", () => {
    expect(byType("Audit.SharePoint").backlog).toBe(3);
    expect(byType("Audit.SharePoint").errors["AF_ERR_PERMISSION"]?.count).toBe(2);
    expect(byType("Audit.AzureActiveDirectory").backlog).toBe(0);
  });

  it("should show the known lag: the newest General blob of the first run, three hours on", () => {
    const general = byType("Audit.General");
    const newest = finished(0, "Audit.General")["newestDelivered"] as string;
    expect(general.newestDelivered).toBe(newest);
    expect(Date.parse(newest)).toBeLessThanOrEqual(START.getTime());
    const expected = START.getTime() + PAUSE_HOURS * HOUR - Date.parse(newest);
    // status reads the server's clock as the last run measured it: only the seconds since then are added.
    expect(general.lagMs as number).toBeGreaterThanOrEqual(expected - 2_000);
    expect(general.lagMs as number).toBeLessThan(expected + 60_000);
    expect(general.errors["AF_ERR_CONFIG"]?.count).toBe(1);
    expect(byType("Audit.AzureActiveDirectory").lagMs as number).toBeLessThan(expected);
  });

  it("should show the time left before the 7-day horizon, and log an error and exit 1 within 24 h of it", () => {
    const exchange = byType("Audit.Exchange");
    const horizon = START.getTime() - 6 * 24 * HOUR + 7 * 24 * HOUR - 15 * 60_000;
    expect(exchange.horizonAt).toBe(new Date(horizon).toISOString());
    expect(exchange.horizonLeftMs).toBeLessThanOrEqual(horizon - (START.getTime() + PAUSE_HOURS * HOUR) + 2_000);
    expect(exchange.records).toBe(0);
    expect(statusCode).toBe(1);
    const warned = logs[1]?.filter((entry) => entry["level"] === "error" && String(entry["msg"]).includes("within 24 hours of the 7-day horizon")) ?? [];
    // SharePoint too: its failing blobs are six days old, and the cursor waits at the oldest of them.
    expect(warned.map((entry) => entry["contentType"]).sort()).toEqual(["Audit.Exchange", "Audit.SharePoint"]);
    expect(warned.find((entry) => entry["contentType"] === "Audit.Exchange")?.["horizonAt"]).toBe(exchange.horizonAt);
    expect(byType("Audit.SharePoint").horizonLeftMs).toBeLessThan(24 * HOUR);
    expect(byType("Audit.AzureActiveDirectory").horizonLeftMs).toBeGreaterThan(6 * 24 * HOUR);
  });

  it("should count the throttled response and the retry it caused", () => {
    expect(status.throttled).toBe(1);
    expect(status.retries).toBeGreaterThanOrEqual(1);
  });

  it("should end each once with a one-line summary", () => {
    const summary = logs[1]?.at(-1);
    expect(summary?.["msg"]).toMatch(
      /^Run finished: [\d,]+ records in [\d,]+ blobs \([\d,]+ duplicates dropped\), backlog 3 blobs, 3 of 5 content types collected, nearest horizon in 20h \d+m \(Audit\.Exchange\), exit 1\.$/,
    );
    expect(summary?.["exitCode"]).toBe(1);
  });

  it("should print the same as a table", async () => {
    let printed = "";
    await statusCommand([], env, (text) => (printed += text));
    expect(printed).toMatch(/^ {2}Audit\.SharePoint +\S+ +\d+h \d+m +3 +\d+h \d+m ! +[\d,]+ +\d+ /m);
    expect(printed).toContain("Throttling: 1 throttled responses");
    expect(printed).toContain("Audit.Exchange, Audit.SharePoint within 24 hours of the 7-day horizon");
    expect(printed).toContain("Audit.SharePoint AF_ERR_PERMISSION: 2x");
  });
});
