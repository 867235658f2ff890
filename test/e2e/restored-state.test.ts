import { copyFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { demoTenant, startEmulator } from "../../emulator/src/index.ts";
import { collectorEnvironment, logEntries, runCli, temporaryDirectory } from "./harness.ts";

const HOUR = 3_600_000;

function folderContents(folder: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(folder)
      .sort()
      .map((name) => [name, readFileSync(join(folder, name), "utf8")]),
  );
}

// Issue 7, item 8: with the state of an earlier run put back, `once` cut one segment and deleted three (9,186
// delivered records, gone for good when they are older than the restored state's origin), and exited 0.
describe("auditfeed once with a state restored from before the output it finds", () => {
  it("should refuse with exit 2, naming the state file and the sink folder, and leave every segment as it was", async () => {
    const directory = await temporaryDirectory();
    const now = new Date("2026-11-20T12:00:00Z");
    const emulator = await startEmulator({ seed: 21, now, freezeClock: true, tenants: [{ ...demoTenant(), historyHours: 12 }] });
    try {
      const env = collectorEnvironment(emulator, directory.path, { AUDITFEED_LOOKBACK: "1h", AUDITFEED_SINK_ROTATE_BYTES: "64KiB" });
      const statePath = env["AUDITFEED_STATE"] as string;
      const sinkFolder = env["AUDITFEED_SINK_DIR"] as string;
      expect((await runCli(["once"], env).exit).code).toBe(0);
      copyFileSync(statePath, join(directory.path, "backup.sqlite"));

      for (let hour = 0; hour < 3; hour++) {
        emulator.clock.advance(HOUR);
        expect((await runCli(["once"], env).exit).code).toBe(0);
      }
      const delivered = folderContents(sinkFolder);
      expect(Object.keys(delivered).filter((name) => name.endsWith(".ndjson")).length).toBeGreaterThan(3);

      copyFileSync(join(directory.path, "backup.sqlite"), statePath);
      const restored = runCli(["once"], env);
      expect((await restored.exit).code).toBe(2);
      const refusal = logEntries(restored.stderr()).find((entry) => entry["level"] === "error");
      const error = refusal?.["error"] as { code?: string; message?: string } | undefined;
      expect(error?.code).toBe("AF_ERR_STATE_MISMATCH");
      expect(error?.message).toContain(`The state ${statePath} and the sink do not belong together.`);
      expect(error?.message).toContain(`${sinkFolder} does not match the state, and nothing in it was changed`);
      expect(error?.message).toContain("Use the state file that wrote this folder");
      expect(folderContents(sinkFolder)).toEqual(delivered);
    } finally {
      await emulator.close();
      await directory.remove();
    }
  });
});
