import { rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDeliveredRecords, type DeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { DEMO_APP, DEMO_TENANT, demoTenant, type Emulator, startEmulator } from "../../emulator/src/index.ts";
import {
  collectorEnvironment,
  committedCursors,
  pollUntil,
  residentBytes,
  runCli,
  segmentBytes,
  temporaryDirectory,
  type CliRun,
  type CommittedCursor,
} from "./harness.ts";

/**
 * The file sink's directory is replaced by a regular file while `auditfeed run` is delivering, and stays so for three
 * failed cycles while a large backlog waits in the emulator. The collector must not fetch (so cannot buffer) that
 * backlog, must log each failure with its cause, the fix and the retry, and once the directory is back must deliver
 * everything exactly once and stop cleanly on SIGTERM.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const MIB = 1024 * 1024;
const START = new Date("2026-11-20T12:00:00Z");
/**
 * 5 content types x 2.5 h x 8,000 records/h = 100,000 records before the outage. A delivery group is committed after
 * 2 s or 50,000 records, whichever comes first, so the first cycle is still delivering when the sink fails right
 * after its first commit, however fast the machine.
 */
const HISTORY_HOURS = 2.5;
const EVENTS_PER_HOUR = 8_000;
const HISTORY_START = new Date(START.getTime() - HISTORY_HOURS * HOUR);
/** Longer than the history, so the first run owes all of it. */
const LOOKBACK_MS = 3 * HOUR;
/** Virtual time that passes while the sink is down: 80,000 more records pile up. */
const OUTAGE_HOURS = 2;
/** The failure in the middle of the first cycle, then two retries that fail when they recover the sink. */
const FAILED_CYCLES = 3;
/** `run` retries a failed cycle after min(poll interval, 30 s x 2^(n-1)): with the shortest poll interval, 10 s. */
const POLL_INTERVAL_MS = 10_000;
/**
 * How much the collector's resident memory may grow while the sink is down, over what it was when the sink failed:
 * the blobs already downloading (at most 4 x 8 MiB) and the sink's 1 MiB write buffer, with room to spare. The backlog
 * that waits meanwhile is checked to be at least twice this, so buffering it could not go unnoticed.
 */
const MAX_GROWTH = 64 * MIB;
const COMMITTED = "Committed a delivery group.";
const CYCLE_FAILED = "The cycle failed; nothing after the last commit was kept. Retrying.";
const CYCLE_FINISHED = "Cycle finished for the content type.";

describe("the file sink failing for a while", () => {
  let emulator: Emulator;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let events: string;
  let run: CliRun;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const rss = { atFailure: 0, duringOutage: [] as number[] };
  const backlog = { records: 0, bytes: 0 };
  let requestsDuringRetries = -1;
  let delivered: DeliveredRecords;
  let cursors: Map<string, CommittedCursor>;

  const logged = (message: string): Record<string, unknown>[] => run.logs().filter((entry) => entry["msg"] === message);
  const tail = (): string => run.stderr().slice(-3_000);

  beforeAll(async () => {
    emulator = await startEmulator({
      seed: 31,
      now: START,
      freezeClock: true,
      pageSize: 5_000,
      tenants: [
        {
          ...demoTenant(),
          historyHours: HISTORY_HOURS,
          recordsPerBlob: 150,
          eventsPerHour: Object.fromEntries(CONTENT_TYPES.map((type) => [type, EVENTS_PER_HOUR])),
          faults: { duplicateRecordRate: 0.02 },
        },
      ],
    });
    directory = await temporaryDirectory();
    events = join(directory.path, "events");
    run = runCli(
      ["run"],
      collectorEnvironment(emulator, directory.path, {
        AUDITFEED_LOOKBACK: `${LOOKBACK_MS / HOUR}h`,
        AUDITFEED_POLL_INTERVAL: `${POLL_INTERVAL_MS / 1000}s`,
        AUDITFEED_LOG_LEVEL: "debug",
      }),
    );
    const pid = run.child.pid as number;

    // The first group is committed and the first cycle goes on delivering; then the directory moves away and a
    // regular file takes its path, so every write, and every recovery of the sink, fails.
    expect(await pollUntil(() => logged(COMMITTED).some((entry) => Number(entry["records"]) > 0), 30_000), tail()).toBe(true);
    await rename(events, `${events}-away`);
    await writeFile(events, "not a directory\n");
    rss.atFailure = (await residentBytes(pid)) ?? 0;
    const committedBefore = logged(COMMITTED).reduce((sum, entry) => sum + Number(entry["records"]), 0);
    emulator.clock.advance(OUTAGE_HOURS * HOUR);
    backlog.records = emulator.tenant(DEMO_TENANT).groundTruth({ from: HISTORY_START }).count - committedBefore;

    const sampling = (async () => {
      while (logged(CYCLE_FAILED).length < FAILED_CYCLES) {
        const bytes = await residentBytes(pid);
        if (bytes !== undefined) rss.duringOutage.push(bytes);
        await sleep(100);
      }
    })();
    expect(await pollUntil(() => logged(CYCLE_FAILED).length > 0, 30_000), tail()).toBe(true);
    // Requests already on their way when the first failure struck may still land; the retries must send none.
    await sleep(1_000);
    const requestsBeforeRetries = emulator.requests.length;
    expect(await pollUntil(() => logged(CYCLE_FAILED).length >= FAILED_CYCLES, 4 * POLL_INTERVAL_MS, 100), tail()).toBe(true);
    await sampling;
    requestsDuringRetries = emulator.requests.length - requestsBeforeRetries;

    // The directory is back: the next retry recovers it and delivers the backlog.
    await rm(events);
    await rename(`${events}-away`, events);
    const recovered = await pollUntil(
      () => {
        const log = run.logs();
        const lastFailure = log.findLastIndex((entry) => entry["msg"] === CYCLE_FAILED);
        return log.slice(lastFailure + 1).filter((entry) => entry["msg"] === CYCLE_FINISHED).length === CONTENT_TYPES.length;
      },
      2 * POLL_INTERVAL_MS + 60_000,
      100,
    );
    expect(recovered, tail()).toBe(true);

    run.child.kill("SIGTERM");
    // The child sleeps until its next cycle: it has to notice SIGTERM at once, not after the poll interval.
    exit = await Promise.race([run.exit, sleep(POLL_INTERVAL_MS / 2, undefined)]);
    if (exit === undefined) run.child.kill("SIGKILL");
    delivered = await readDeliveredRecords(events);
    backlog.bytes = (backlog.records * (await segmentBytes(events))) / delivered.lines;
    cursors = exit === undefined ? new Map<string, CommittedCursor>() : committedCursors(join(directory.path, "state.sqlite"));
    console.log(
      `sink outage: backlog while the sink was down ${backlog.records} records (~${(backlog.bytes / MIB).toFixed(0)} MiB of NDJSON); ` +
        `child RSS ${(rss.atFailure / MIB).toFixed(0)} MiB when the sink failed, at most ${(Math.max(...rss.duringOutage) / MIB).toFixed(0)} MiB during the outage ` +
        `(${rss.duringOutage.length} samples); ${requestsDuringRetries} API requests from the failed retries`,
    );
    // Three failed cycles 10 s apart, then the backlog: most of a minute alone, more on a loaded machine.
  }, 240_000);

  afterAll(async () => {
    if (exit === undefined) run.child.kill("SIGKILL");
    await emulator.close();
    await directory.remove();
  });

  it("should log every failed cycle with the sink's cause, the fix and when it retries", () => {
    const failed = logged(CYCLE_FAILED);
    expect(failed.length).toBe(FAILED_CYCLES);
    for (const [index, entry] of failed.entries()) {
      expect(entry["level"]).toBe("error");
      expect(entry["failures"]).toBe(index + 1);
      expect(entry["retryInMs"]).toBe(POLL_INTERVAL_MS);
      const error = entry["error"] as { code: string; message: string };
      expect(error.code).toBe("AF_ERR_SINK_UNAVAILABLE");
      expect(error.message).toContain(events);
      expect(error.message).toContain("Check that the directory exists, is a directory, is writable and has space");
    }
  });

  it("should fetch nothing while the sink is down, so memory stays bounded whatever the backlog", () => {
    expect(requestsDuringRetries).toBe(0);
    expect(rss.duringOutage.length).toBeGreaterThan(10);
    expect(backlog.bytes).toBeGreaterThan(2 * MAX_GROWTH);
    expect(Math.max(...rss.duringOutage)).toBeLessThan(rss.atFailure + MAX_GROWTH);
  });

  it("should deliver everything exactly once after the sink is back", () => {
    const truth = emulator.tenant(DEMO_TENANT).groundTruth({ from: HISTORY_START }).ids;
    expect([...truth].filter((id) => !delivered.ids.has(id)).length, "records never delivered").toBe(0);
    expect([...delivered.ids].filter((id) => !truth.has(id))).toEqual([]);
    expect(delivered.lines - delivered.ids.size).toBe(0);
  });

  it("should keep the first run's look-back as the start of what it owes", () => {
    for (const type of CONTENT_TYPES) {
      const cursor = cursors.get(type);
      expect(cursor?.origin.getTime(), type).toBe(START.getTime() - LOOKBACK_MS);
      expect(cursor?.listedThrough?.getTime(), type).toBeGreaterThanOrEqual(START.getTime() + OUTAGE_HOURS * HOUR);
    }
  });

  it("should stop promptly on SIGTERM with exit code 0", () => {
    expect(exit).toEqual({ code: 0, signal: null });
    expect(logged("Stopped on request.").length).toBe(1);
  });

  it("should never log the client secret or a token", () => {
    expect(run.stderr()).not.toContain(DEMO_APP.secret);
    expect(run.stderr()).not.toContain("eyJ");
  });
});
