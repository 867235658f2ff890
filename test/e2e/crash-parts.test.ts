import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { DEMO_TENANT, startEmulator, type Emulator } from "../../emulator/src/index.ts";
import { Random } from "../../emulator/src/random.ts";
import { collectorEnvironment, logEntries, oneExchangeBlobTenant, pollUntil, runCli, temporaryDirectory } from "./harness.ts";

/**
 * A blob bigger than a delivery group (50,000 records) commits in parts. `kill -9` a few random instants after a part
 * was committed, while the rest of the blob is still being written, then `once` to the end: the state held the
 * parts' records but not the blob, the restart cut the uncommitted tail off the sink, the blob was fetched whole
 * again, and the sink holds exactly the ground truth, each record once.
 * Replay a failure with the seed it prints: AUDITFEED_CRASH_SEED=<seed> vitest run test/e2e/crash-parts.test.ts
 */
const SEED = Number(process.env["AUDITFEED_CRASH_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
/** Each kill needs 50,000 new records to reach its next part: 2 kills, then the last run delivers the remaining 31,800. */
const KILLS = 2;
const START = new Date("2026-11-20T12:00:00Z");
const PART = "Committed part of a blob bigger than a delivery group.";

/** What the killed run left in the SQLite state: record ids in the index, blobs in the ledger. */
function committed(statePath: string): { ids: number; blobs: number } {
  const db = new DatabaseSync(statePath, { readOnly: true });
  try {
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE 'record_ids%'").all();
    let ids = 0;
    for (const table of tables) ids += Number(db.prepare(`SELECT count(*) AS n FROM "${String(table["name"])}"`).get()?.["n"]);
    return { ids, blobs: Number(db.prepare("SELECT count(*) AS n FROM blobs").get()?.["n"]) };
  } finally {
    db.close();
  }
}

describe(`kill -9 between the parts of a blob bigger than a delivery group (seed ${SEED})`, () => {
  let emulator: Emulator;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  const kills: Array<{ ids: number; blobs: number; parts: number }> = [];
  let final: { code: number | null; stderr: string };

  beforeAll(async () => {
    console.log(`crash-parts seed ${SEED}; replay with AUDITFEED_CRASH_SEED=${SEED}`);
    const random = new Random(SEED);
    // One blob of 131,800 records (seed 11).
    emulator = await startEmulator({ seed: 11, now: START, freezeClock: true, recordRequests: false, tenants: [oneExchangeBlobTenant(130_000)] });
    directory = await temporaryDirectory();
    const env = collectorEnvironment(emulator, directory.path, {
      AUDITFEED_CONTENT_TYPES: "Audit.Exchange",
      AUDITFEED_LOOKBACK: "2h",
      AUDITFEED_REQUESTS_PER_MINUTE: "100000",
      AUDITFEED_LOG_LEVEL: "debug",
    });
    for (let index = 0; index < KILLS; index++) {
      const run = runCli(["once"], env);
      const parted = await pollUntil(() => run.stderr().includes(PART), 60_000, 5);
      expect(parted, `run ${index} committed no part:\n${run.stderr().slice(-2_000)}`).toBe(true);
      await sleep(Math.round(random.next() * 200));
      run.child.kill("SIGKILL");
      expect(await run.exit, `run ${index} ended by itself:\n${run.stderr().slice(-2_000)}`).toEqual({ code: null, signal: "SIGKILL" });
      const parts = logEntries(run.stderr()).filter((entry) => entry["msg"] === PART).length;
      kills.push({ ...committed(join(directory.path, "state.sqlite")), parts });
    }
    const last = runCli(["once"], env);
    const exit = await last.exit;
    final = { code: exit.code, stderr: last.stderr() };
  }, 240_000);

  afterAll(async () => {
    await emulator.close();
    await directory.remove();
  });

  it("should be killed each time after a part was committed and before the blob was", () => {
    expect(kills.map((kill) => ({ parts: kill.parts, blobs: kill.blobs }))).toEqual([
      { parts: 1, blobs: 0 },
      { parts: 1, blobs: 0 },
    ]);
    // The second run dropped the first part as duplicates and committed the next 50,000 new records.
    expect(kills.map((kill) => kill.ids)).toEqual([50_000, 100_000]);
  });

  it("should finish with once and hold exactly the ground truth, each record once", async () => {
    expect(final.code, final.stderr.slice(-2_000)).toBe(0);
    const truth = emulator.tenant(DEMO_TENANT).groundTruth({ from: new Date(START.getTime() - 2 * 3_600_000) }).ids;
    expect(truth.size).toBeGreaterThan(100_000);
    const delivered = await readDeliveredRecords(join(directory.path, "events"));
    expect(delivered.lines).toBe(truth.size);
    expect(delivered.ids.size).toBe(truth.size);
    expect([...truth].filter((id) => !delivered.ids.has(id))).toEqual([]);
  });
});
