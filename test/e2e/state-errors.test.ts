import { closeSync, openSync, statSync, writeSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { demoTenant, startEmulator } from "../../emulator/src/index.ts";
import { collectorEnvironment, logEntries, runCli, temporaryDirectory } from "./harness.ts";

const HOUR = 3_600_000;

// Issue 7, item 11: a state file damaged in the middle was reported as transient ("retried next cycle", "check disk
// space"), and `auditfeed run` retried it forever.
describe("auditfeed run on a state file damaged in the middle", () => {
  it("should stop at once with exit 2 and an error naming the file and the fix, instead of retrying", async () => {
    const directory = await temporaryDirectory();
    const emulator = await startEmulator({
      seed: 22,
      now: new Date("2026-11-20T12:00:00Z"),
      freezeClock: true,
      tenants: [{ ...demoTenant(), historyHours: 3 }],
    });
    try {
      const env = collectorEnvironment(emulator, directory.path, { AUDITFEED_LOOKBACK: "2h", AUDITFEED_POLL_INTERVAL: "10s" });
      const statePath = env["AUDITFEED_STATE"] as string;
      expect((await runCli(["once"], env).exit).code).toBe(0);
      // The pages after the first few hold the ledger and the record index; the cursors and checkpoint stay readable.
      const size = statSync(statePath).size;
      const handle = openSync(statePath, "r+");
      const from = Math.floor(size * 0.4);
      writeSync(handle, Buffer.alloc(size - from, 0x5a), 0, size - from, from);
      closeSync(handle);
      emulator.clock.advance(HOUR);

      const run = runCli(["run"], env);
      const exit = await Promise.race([run.exit, new Promise((resolve) => setTimeout(() => resolve("still running"), 60_000))]);
      if (exit === "still running") run.child.kill("SIGKILL");
      expect(exit).toEqual({ code: 2, signal: null });
      const errors = logEntries(run.stderr()).filter((entry) => entry["level"] === "error");
      // Found by the cycle (opening reads only the first pages), which stops the loop.
      expect(errors.map((entry) => entry["msg"])).toEqual([
        "The cycle failed in a way that retrying cannot fix; stopping. Nothing after the last commit was kept.",
      ]);
      expect(errors.map((entry) => (entry["error"] as { code?: string } | undefined)?.code)).toEqual(["AF_ERR_STATE_CORRUPT"]);
      expect(run.stderr()).toContain(`State file ${statePath} is damaged`);
      expect(run.stderr()).not.toMatch(/Retrying|disk has space/);
    } finally {
      await emulator.close();
      await directory.remove();
    }
  });
});
