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
});
