import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDeliveredRecords, type DeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { DEMO_TENANT, type Emulator } from "../../emulator/src/index.ts";
import { collectorEnvironment, committedCursors, pollUntil, runCli, segmentBytes, temporaryDirectory, type CommittedCursor } from "./harness.ts";
import { killRepeatedly, startCrashEmulator } from "./kill-loop.ts";

/**
 * `kill -9` at random instants while `auditfeed run` delivers a backlog of more than 100,000 events, restarting each
 * time, then `auditfeed once` to the end: the sink holds exactly the emulator's ground truth, each record once.
 *
 * Every kill falls during delivery: the test waits until the child has written new bytes to the sink, then a random
 * 5-600 ms more. The collector commits a delivery group after 2 s (or 50,000 records), so those kills cut an
 * uncommitted group, which the restart must cut off the file and fetch again. Every fifth run is killed 5-1,500 ms
 * after its first commit instead, so kills also land on committed progress that must stay (ledger, dedupe index,
 * segment rotation). That bounds what the kills let through, so the backlog is still unfinished at the last one.
 * Replay a failure with the seed it prints: AUDITFEED_CRASH_SEED=<seed> vitest run test/e2e/crash.test.ts
 */
const SEED = Number(process.env["AUDITFEED_CRASH_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
const KILLS = 22;
const MINUTE = 60_000;
const START = new Date("2026-11-20T12:00:00Z");
/** Shorter than the look-back, so the listed range holds all the content whatever second the first run took as now. */
const HISTORY_HOURS = 3;
const LOOKBACK_MS = 4 * 60 * MINUTE;
/** Requests per minute, for the emulator and the collector alike: far above what the runs need, so throttling never decides the timing. */
const REQUESTS_PER_MINUTE = 100_000;
/** Every this many runs, the kill waits for the child's first commit of records. */
const COMMIT_EVERY = 5;

interface Kill {
  readonly delayMs: number;
  /** The sink grew after the restart: the child was delivering when it was killed. */
  readonly interruptedDelivery: boolean;
  /** Delivery groups the child committed before the kill. */
  readonly commits: number;
  /** The restart cut an uncommitted tail off the sink (the file shrank below its size at the kill). */
  tailCutOnRestart: boolean;
  readonly bytesAtKill: number;
}

describe(`kill -9 at ${KILLS} random instants during delivery (seed ${SEED})`, () => {
  let emulator: Emulator;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let events: string;
  let statePath: string;
  const kills: Kill[] = [];
  let final: { code: number | null; recordsDelivered: number; stderr: string };
  let delivered: DeliveredRecords;
  let cursors: Map<string, CommittedCursor>;

  beforeAll(async () => {
    console.log(`crash test seed ${SEED}; replay with AUDITFEED_CRASH_SEED=${SEED}`);
    emulator = await startCrashEmulator({ seed: 23, now: START, historyHours: HISTORY_HOURS, requestsPerMinute: REQUESTS_PER_MINUTE, eventsPerHour: 7_000 });
    directory = await temporaryDirectory();
    events = join(directory.path, "events");
    statePath = join(directory.path, "state.sqlite");
    const env = collectorEnvironment(emulator, directory.path, {
      AUDITFEED_LOOKBACK: `${LOOKBACK_MS / MINUTE}m`,
      AUDITFEED_REQUESTS_PER_MINUTE: String(REQUESTS_PER_MINUTE),
      AUDITFEED_POLL_INTERVAL: "10s",
      AUDITFEED_FETCH_CONCURRENCY: "2",
      // Small segments: most groups start a new one, so recovery also deletes segments, not only truncates.
      AUDITFEED_SINK_ROTATE_BYTES: "4MiB",
      AUDITFEED_LOG_LEVEL: "debug",
    });

    /** Watches the sink from the child's start; resolves once it has grown past the lowest size seen (after recovery's cut). */
    const watchGrowth = (onLowest: (bytes: number) => void): Promise<boolean> => {
      let lowest = Infinity;
      return pollUntil(
        async () => {
          const bytes = await segmentBytes(events);
          if (bytes < lowest) onLowest((lowest = bytes));
          return bytes > lowest;
        },
        30_000,
        5,
      );
    };

    await killRepeatedly({
      kills: KILLS,
      seed: SEED,
      start: (index) => {
        // Now and then virtual time moves on while the collector is down: new content, and late blobs becoming listable.
        if (index % 4 === 3) emulator.clock.advance(3 * MINUTE);
        return Promise.resolve(runCli(["run"], env));
      },
      delivering: () => {
        const previous = kills.at(-1);
        return watchGrowth((bytes) => {
          if (previous && bytes < previous.bytesAtKill) previous.tailCutOnRestart = true;
        });
      },
      afterCommit: (index) => index % COMMIT_EVERY === COMMIT_EVERY - 1,
      maxDelayMs: { delivering: 600, committed: 1_500 },
      killed: async ({ delayMs, interruptedDelivery, commits }) => {
        kills.push({ delayMs, interruptedDelivery, commits, tailCutOnRestart: false, bytesAtKill: await segmentBytes(events) });
      },
    });

    const last = kills.at(-1);
    // The last run may download more blobs at once: a restart with another setting must resume the same way.
    const once = runCli(["once"], { ...env, AUDITFEED_FETCH_CONCURRENCY: "8" });
    await watchGrowth((bytes) => {
      if (last && bytes < last.bytesAtKill) last.tailCutOnRestart = true;
    });
    const exit = await once.exit;
    const recordsDelivered = once
      .logs()
      .filter((entry) => entry["msg"] === "Cycle finished for the content type.")
      .reduce((sum, entry) => sum + Number(entry["records"]), 0);
    final = { code: exit.code, recordsDelivered, stderr: once.stderr() };
    delivered = await readDeliveredRecords(events);
    cursors = committedCursors(statePath);
    console.log(
      `crash test: ${kills.length} kills, delays ${kills.map((kill) => kill.delayMs).join(",")} ms; ` +
        `${kills.filter((kill) => kill.commits > 0).length} after a commit; ${kills.filter((kill) => kill.tailCutOnRestart).length} left a tail the restart cut off; ` +
        `the final once delivered ${recordsDelivered} records; ${delivered.lines} lines in ${delivered.files.length} segments`,
    );
    // 22 process starts and a backlog of 100,000 records: about a minute alone, several on a loaded machine.
  }, 360_000);

  afterAll(async () => {
    await emulator.close();
    await directory.remove();
  });

  it("should finish with `once` exiting 0", () => {
    expect(final.code, final.stderr.slice(-2_000)).toBe(0);
  });

  it("should hold exactly the ground truth of the listed range, with no record twice", () => {
    const truth = new Set<string>();
    const historyStart = new Date(START.getTime() - HISTORY_HOURS * 60 * MINUTE);
    for (const type of CONTENT_TYPES) {
      const cursor = cursors.get(type);
      expect(cursor?.listedThrough, `${type} has a committed cursor`).toBeInstanceOf(Date);
      const { origin, listedThrough } = cursor as CommittedCursor;
      expect(origin.getTime(), `${type}'s origin precedes all content`).toBeLessThan(historyStart.getTime());
      // The first run's look-back, made durable before its first delivery; virtual time moves 3 minutes at the fourth run.
      expect(origin.getTime() - (START.getTime() - LOOKBACK_MS), `${type}'s origin is the first run's`).toBeLessThan(MINUTE);
      expect(origin.getTime()).toBeGreaterThanOrEqual(START.getTime() - LOOKBACK_MS);
      for (const id of emulator.tenant(DEMO_TENANT).groundTruth({ from: origin, to: listedThrough as Date, contentTypes: [type] }).ids) truth.add(id);
    }
    expect(truth.size).toBeGreaterThanOrEqual(100_000);
    expect(delivered.lines - delivered.ids.size).toBe(0);
    expect([...truth].filter((id) => !delivered.ids.has(id))).toEqual([]);
    expect([...delivered.ids].filter((id) => !truth.has(id))).toEqual([]);
  });

  it(`should have interrupted delivery at least 20 times, with work left after the last kill`, () => {
    expect(kills.filter((kill) => kill.interruptedDelivery).length).toBeGreaterThanOrEqual(20);
    expect(final.recordsDelivered).toBeGreaterThan(0);
    // Kills fell both inside uncommitted groups (cut off on restart) and after commits (progress that must stay).
    expect(kills.filter((kill) => kill.tailCutOnRestart).length).toBeGreaterThanOrEqual(10);
    expect(kills.filter((kill) => kill.commits > 0).length).toBeGreaterThanOrEqual(2);
  });
});
