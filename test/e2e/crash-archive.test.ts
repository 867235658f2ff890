import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_TENANT, type Emulator } from "../../emulator/src/index.ts";
import { archivedIds } from "../fixtures/archive.ts";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite } from "../fixtures/azurite.ts";
import { collectorEnvironment, committedCursors, runCli, temporaryDirectory } from "./harness.ts";
import { killRepeatedly, startCrashEmulator, type Kill } from "./kill-loop.ts";

/**
 * Issue 9, item 5: `kill -9` at random instants while `auditfeed run` archives into Azure Blob storage (Azurite) with
 * the azblob sink, then `auditfeed once`: the archive holds exactly the ground truth of the committed range, each
 * record once. Kills land before a flush, between a flush (blocks staged) and its state commit, and between the state
 * commit and the block lists (completed by the next open).
 * Replay a failure with the seed it prints: AUDITFEED_CRASH_SEED=<seed> vitest run test/e2e/crash-archive.test.ts
 */
const SEED = Number(process.env["AUDITFEED_CRASH_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
const KILLS = 6;
const MINUTE = 60_000;
const START = new Date("2026-11-20T12:00:00Z");
const HISTORY_HOURS = 2;
const LOOKBACK_MS = 3 * 60 * MINUTE;
const REQUESTS_PER_MINUTE = 100_000;
const PREFIX = "tenant";

describe(`kill -9 at ${KILLS} random instants while archiving to Blob storage (seed ${SEED})`, () => {
  let emulator: Emulator;
  let azurite: Azurite;
  let container: string;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let kills: Kill[];
  let final: { code: number | null; stderr: string };
  let archived: string[];

  beforeAll(async () => {
    console.log(`archive crash test seed ${SEED}; replay with AUDITFEED_CRASH_SEED=${SEED}`);
    [emulator, azurite, directory] = await Promise.all([
      startCrashEmulator({ seed: 31, now: START, historyHours: HISTORY_HOURS, requestsPerMinute: REQUESTS_PER_MINUTE, eventsPerHour: 3_000 }),
      startAzurite(),
      temporaryDirectory(),
    ]);
    container = await azurite.createContainer("archive");
    const env = collectorEnvironment(emulator, directory.path, {
      AUDITFEED_SINK: "azblob",
      AUDITFEED_SINK_URL: `azblob://${AZURITE_ACCOUNT}/${container}/${PREFIX}`,
      AUDITFEED_SINK_BLOB_ENDPOINT: azurite.accountUrl,
      AUDITFEED_SINK_ACCOUNT_KEY: AZURITE_KEY,
      AUDITFEED_LOOKBACK: `${LOOKBACK_MS / MINUTE}m`,
      AUDITFEED_REQUESTS_PER_MINUTE: String(REQUESTS_PER_MINUTE),
      AUDITFEED_POLL_INTERVAL: "10s",
      AUDITFEED_FETCH_CONCURRENCY: "2",
      AUDITFEED_LOG_LEVEL: "debug",
    });
    // The file sink's folder, which the emulator's environment sets, is refused with another sink.
    delete env["AUDITFEED_SINK_DIR"];

    kills = await killRepeatedly({
      kills: KILLS,
      seed: SEED,
      start: (index) => {
        if (index % 3 === 2) emulator.clock.advance(3 * MINUTE);
        return Promise.resolve(runCli(["run"], env));
      },
      // Delays count from the collector's open, so kills also land before its first flush.
      delivering: async (run, index) => {
        const opened = await run.waitForLog((entry) => entry["msg"] === "Collector opened.", 60_000);
        expect(opened, `run ${index} opened:\n${run.stderr().slice(-2_000)}`).toBe(true);
        return opened;
      },
      // Half the runs are killed after a first commit of records, so kills also land around commits.
      afterCommit: (index) => index % 2 === 1,
      maxDelayMs: { delivering: 1_200 },
    });

    const once = runCli(["once"], { ...env, AUDITFEED_FETCH_CONCURRENCY: "8" });
    const exit = await once.exit;
    final = { code: exit.code, stderr: once.stderr() };
    archived = await archivedIds(azurite.service, container, PREFIX);
    console.log(
      `archive crash test: ${kills.length} kills, delays ${kills.map((kill) => kill.delayMs).join(",")} ms, commits of records before each kill ${kills.map((kill) => kill.commits).join(",")}; ${archived.length} records archived`,
    );
  }, 480_000);

  afterAll(async () => {
    await Promise.all([emulator.close(), azurite.close(), directory.remove()]);
  });

  it("should finish with `once` exiting 0", () => {
    expect(final.code, final.stderr.slice(-2_000)).toBe(0);
  });

  it("should archive exactly the ground truth of the committed range, with no record twice", () => {
    const truth = new Set<string>();
    for (const [type, cursor] of committedCursors(join(directory.path, "state.sqlite"))) {
      expect(cursor.listedThrough, `${type} has a committed cursor`).not.toBeNull();
      for (const id of emulator.tenant(DEMO_TENANT).groundTruth({ from: cursor.origin, to: cursor.listedThrough ?? START, contentTypes: [type] }).ids) {
        truth.add(id);
      }
    }
    expect(truth.size).toBeGreaterThanOrEqual(20_000);
    const unique = new Set(archived);
    expect(archived.length - unique.size).toBe(0);
    expect([...truth].filter((id) => !unique.has(id))).toEqual([]);
    expect([...unique].filter((id) => !truth.has(id))).toEqual([]);
  });
});
