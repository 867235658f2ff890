import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readDeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { DEMO_APP, DEMO_TENANT, demoTenant, type Emulator, startEmulator, type TenantOptions } from "../../emulator/src/index.ts";
import { collectorEnvironment, runCli, temporaryDirectory } from "./harness.ts";

interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly contentType?: string;
  readonly blobs?: number;
  readonly error?: { readonly code?: string; readonly message?: string };
}

const parseLogs = (stderr: string): LogLine[] =>
  stderr
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogLine);

/** What a user sees from `auditfeed once` (the Container Apps Job's command) when the tenant is not right. */
describe("auditfeed once against a misconfigured tenant", () => {
  let emulator: Emulator | undefined;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;

  beforeEach(async () => {
    directory = await temporaryDirectory();
  });
  afterEach(async () => {
    await emulator?.close();
    await directory.remove();
  });

  async function once(tenant: Partial<TenantOptions>, env: Record<string, string> = {}): Promise<{ code: number | null; logs: LogLine[]; stderr: string }> {
    emulator = await startEmulator({ seed: 3, tenants: [{ ...demoTenant(), historyHours: 2, ...tenant }] });
    const run = runCli(["once"], collectorEnvironment(emulator, directory.path, { AUDITFEED_LOOKBACK: "1h", ...env }));
    const { code } = await run.exit;
    return { code, logs: parseLogs(run.stderr()), stderr: run.stderr() };
  }

  it("should fail DLP.All alone, naming ActivityFeed.ReadDlp, and deliver the other four (exit 1)", async () => {
    const app = { ...demoTenant().apps[0], roles: ["ActivityFeed.Read"] } as TenantOptions["apps"][number];
    const { code, logs } = await once({ apps: [app] });
    expect(code).toBe(1);
    const dlp = logs.find((line) => line.msg.startsWith("Cycle finished") && line.contentType === "DLP.All");
    expect(dlp?.error?.code).toBe("AF_ERR_PERMISSION");
    expect(dlp?.error?.message).toContain("ActivityFeed.ReadDlp");
    const others = logs.filter((line) => line.msg.startsWith("Cycle finished") && line.contentType !== "DLP.All");
    expect(others.map((line) => line.contentType).sort()).toEqual(CONTENT_TYPES.filter((type) => type !== "DLP.All").sort());
    expect(others.every((line) => line.error === undefined)).toBe(true);
    expect((await readDeliveredRecords(join(directory.path, "events"))).lines).toBeGreaterThan(0);
  });

  it("should say that unified audit logging is off and how to turn it on (exit 3)", async () => {
    const { code, logs } = await once({ auditLoggingEnabled: false });
    expect(code).toBe(3);
    const finished = logs.filter((line) => line.msg.startsWith("Cycle finished"));
    expect(finished).toHaveLength(5);
    for (const line of finished) {
      expect(line.error?.code).toBe("AF_ERR_AUDIT_DISABLED");
      expect(line.error?.message).toContain("Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true");
    }
    // Issue 7 item 10: nothing is collected until someone turns it on, so it is an error, not a warning.
    const skipped = logs.filter((line) => line.msg.startsWith("Skipping the content type"));
    expect(skipped.map((line) => line.level)).toEqual(["error", "error", "error", "error", "error"]);
  });

  it("should report a wrong client secret with Entra's code, never echoing the secret (exit 3)", async () => {
    const wrong = "not-the-right-secret-4711";
    const { code, stderr } = await once({}, { AUDITFEED_CLIENT_SECRET: wrong });
    expect(code).toBe(3);
    expect(stderr).toContain("AADSTS7000215");
    expect(stderr).not.toContain(wrong);
    expect(stderr).not.toContain(DEMO_APP.secret);
  });
});

describe("a new subscription whose first content appears an hour later", () => {
  it("should start each type once, wait without error, then deliver everything once it appears", async () => {
    const directory = await temporaryDirectory();
    const emulator = await startEmulator({
      seed: 4,
      freezeClock: true,
      tenants: [{ ...demoTenant(), historyHours: 0, faults: { firstDataDelayMinutes: 60 } }],
    });
    try {
      const env = collectorEnvironment(emulator, directory.path, { AUDITFEED_LOOKBACK: "1h" });
      const results: number[] = [];
      const linesAfter: number[] = [];
      for (const advanceMinutes of [0, 30, 45, 60]) {
        emulator.clock.advance(advanceMinutes * 60_000);
        const run = runCli(["once"], env);
        results.push((await run.exit).code ?? -1);
        linesAfter.push((await readDeliveredRecords(join(directory.path, "events"))).lines);
      }
      expect(results).toEqual([0, 0, 0, 0]);
      // Nothing at 0 and 30 minutes, some at 75 (content from minute 60 on), more at 135.
      expect(linesAfter.slice(0, 2)).toEqual([0, 0]);
      expect(linesAfter[2]).toBeGreaterThan(0);
      expect(linesAfter[3]).toBeGreaterThan(linesAfter[2] ?? 0);
      const starts = emulator.requests.filter((request) => request.op === "start");
      expect(starts).toHaveLength(5);
      const delivered = await readDeliveredRecords(join(directory.path, "events"));
      const truth = emulator.tenant(DEMO_TENANT).groundTruth({ from: new Date(0) });
      expect(truth.count).toBeGreaterThan(0);
      expect(delivered.ids.size).toBe(truth.count);
      expect(delivered.lines).toBe(truth.count);
      expect([...truth.ids].filter((id) => !delivered.ids.has(id))).toEqual([]);
    } finally {
      await emulator.close();
      await directory.remove();
    }
  });
});

describe("blobs listed after their expiry", () => {
  it("issue 7 items 4 and 10: should exit 5 in the run that lost them, log each lost blob once, and exit 0 in the next", async () => {
    const directory = await temporaryDirectory();
    const emulator = await startEmulator({
      seed: 6,
      freezeClock: true,
      now: new Date("2026-11-20T12:00:00Z"),
      tenants: [{ ...demoTenant(), historyHours: 2, faults: { expiredBlobRate: 0.2 } }],
    });
    try {
      const env = collectorEnvironment(emulator, directory.path, { AUDITFEED_LOOKBACK: "1h" });
      const runs: Array<{ code: number | null; logs: LogLine[] }> = [];
      for (let run = 0; run < 3; run++) {
        const cli = runCli(["once"], env);
        runs.push({ code: (await cli.exit).code, logs: parseLogs(cli.stderr()) });
      }
      expect(runs.map((run) => run.code)).toEqual([5, 0, 0]);
      const lost = (run: { logs: LogLine[] }): number =>
        run.logs.filter((line) => line.level === "error" && line.msg.startsWith("Blobs expired")).reduce((sum, line) => sum + (line.blobs ?? 0), 0);
      expect(lost(runs[0] as { logs: LogLine[] })).toBeGreaterThan(0);
      expect(runs.slice(1).map(lost)).toEqual([0, 0]);
    } finally {
      await emulator.close();
      await directory.remove();
    }
  });
});
