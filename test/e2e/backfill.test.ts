import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readDeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { DEMO_TENANT, demoTenant, startEmulator } from "../../emulator/src/index.ts";
import { collectorEnvironment, runCli, temporaryDirectory } from "./harness.ts";

const HOUR = 3_600_000;

describe("auditfeed backfill", () => {
  it("should deliver everything since the given time once, with progress lines when not on a terminal, and add nothing when repeated", async () => {
    const directory = await temporaryDirectory();
    const now = new Date("2026-11-20T12:00:00Z");
    const emulator = await startEmulator({
      seed: 9,
      now,
      freezeClock: true,
      tenants: [{ ...demoTenant(), historyHours: 30, faults: { duplicateRecordRate: 0.05 } }],
    });
    try {
      const env = collectorEnvironment(emulator, directory.path, { AUDITFEED_LOOKBACK: "1h" });
      const first = runCli(["once"], env);
      expect((await first.exit).code).toBe(0);
      const afterOnce = (await readDeliveredRecords(join(directory.path, "events"))).lines;

      const since = new Date(now.getTime() - 20 * HOUR).toISOString();
      const backfill = runCli(["backfill", "--since", since], env);
      expect((await backfill.exit).code).toBe(0);
      expect(backfill.stderr()).toMatch(/^backfill: (\d+)\/\1 blobs, \d+ records, \d+ records\/s$/m);

      const delivered = await readDeliveredRecords(join(directory.path, "events"));
      const truth = emulator.tenant(DEMO_TENANT).groundTruth({ from: new Date(since), to: now });
      expect(delivered.lines).toBeGreaterThan(afterOnce);
      expect(delivered.lines).toBe(delivered.ids.size);
      expect([...truth.ids].filter((id) => !delivered.ids.has(id))).toEqual([]);

      const again = runCli(["backfill", "--since", since], env);
      expect((await again.exit).code).toBe(0);
      expect((await readDeliveredRecords(join(directory.path, "events"))).lines).toBe(delivered.lines);
    } finally {
      await emulator.close();
      await directory.remove();
    }
  });

  // The emulator's clock is years away from any machine that runs this: only the API's clock can make these pass.
  it("should check --since against the Management API's clock, not the machine's", async () => {
    const directory = await temporaryDirectory();
    const now = new Date("2031-06-15T12:00:00Z");
    const emulator = await startEmulator({ seed: 4, now, freezeClock: true, tenants: [{ ...demoTenant(), historyHours: 12 }] });
    try {
      const env = collectorEnvironment(emulator, directory.path);
      const instant = runCli(["backfill", "--since", new Date(now.getTime() - 10 * HOUR).toISOString()], env);
      expect((await instant.exit).code).toBe(0);
      const truth = emulator.tenant(DEMO_TENANT).groundTruth({ from: new Date(now.getTime() - 10 * HOUR), to: now });
      const afterInstant = await readDeliveredRecords(join(directory.path, "events"));
      expect(truth.count).toBeGreaterThan(0);
      expect([...truth.ids].filter((id) => !afterInstant.ids.has(id))).toEqual([]);

      const age = runCli(["backfill", "--since", "11h"], env);
      expect((await age.exit).code).toBe(0);
      const older = emulator.tenant(DEMO_TENANT).groundTruth({ from: new Date(now.getTime() - 11 * HOUR), to: now });
      const afterAge = await readDeliveredRecords(join(directory.path, "events"));
      expect(older.count).toBeGreaterThan(truth.count);
      expect(afterAge.lines).toBe(older.count);
      expect(afterAge.ids.size).toBe(older.count);

      const future = runCli(["backfill", "--since", new Date(now.getTime() + HOUR).toISOString()], env);
      expect((await future.exit).code).toBe(2);
      expect(future.stderr()).toContain("is in the future on the Management API's clock (2031-06-15T12:00:");
      const old = runCli(["backfill", "--since", new Date(now.getTime() - 8 * 24 * HOUR).toISOString()], env);
      expect((await old.exit).code).toBe(2);
      expect(old.stderr()).toContain("more than 7 days ago");
    } finally {
      await emulator.close();
      await directory.remove();
    }
  });
});
