import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDeliveredRecords, type DeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import type { Head } from "../../collector/src/state/azblob/head.ts";
import { DEMO_TENANT, type Emulator } from "../../emulator/src/index.ts";
import { startAzurite, type Azurite } from "../fixtures/azurite.ts";
import { collectorEnvironment, pollUntil, runCli, segmentBytes, temporaryDirectory, type CliRun } from "./harness.ts";
import { killRepeatedly, startCrashEmulator } from "./kill-loop.ts";

/**
 * The crash test of crash.test.ts with the state in Azure Blob storage (Azurite): `kill -9` at random instants while
 * `auditfeed run` delivers, then `auditfeed once`: the sink holds exactly the ground truth, each record once.
 *
 * A killed run leaves its lease behind. Every third restart waits for it to expire by itself (15 s: a restart meanwhile
 * exits 4, then the next starts once the service reports the lease expired); the others end it at once with a lease
 * break, which is what its expiry does, to keep the test short.
 * Replay a failure with the seed it prints: AUDITFEED_CRASH_SEED=<seed> vitest run test/e2e/crash-blob.test.ts
 */
const SEED = Number(process.env["AUDITFEED_CRASH_SEED"] ?? Math.floor(Math.random() * 2 ** 31));
const KILLS = 12;
const MINUTE = 60_000;
const START = new Date("2026-11-20T12:00:00Z");
const HISTORY_HOURS = 3;
const LOOKBACK_MS = 4 * 60 * MINUTE;
const REQUESTS_PER_MINUTE = 100_000;
const WAIT_FOR_EXPIRY_EVERY = 3;

describe(`kill -9 at ${KILLS} random instants with state in Blob storage (seed ${SEED})`, () => {
  let emulator: Emulator;
  let azurite: Azurite;
  let container: string;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let events: string;
  const summary: Array<{ delayMs: number; interruptedDelivery: boolean; heldExits: number }> = [];
  let final: { code: number | null; stderr: string };
  let delivered: DeliveredRecords;
  let committedHead: Head;

  beforeAll(async () => {
    console.log(`blob crash test seed ${SEED}; replay with AUDITFEED_CRASH_SEED=${SEED}`);
    [emulator, azurite, directory] = await Promise.all([
      startCrashEmulator({ seed: 29, now: START, historyHours: HISTORY_HOURS, requestsPerMinute: REQUESTS_PER_MINUTE, eventsPerHour: 4_000 }),
      startAzurite(),
      temporaryDirectory(),
    ]);
    container = await azurite.createContainer();
    events = join(directory.path, "events");
    const env = collectorEnvironment(emulator, directory.path, {
      ...azurite.stateEnvironment(container),
      AUDITFEED_LOOKBACK: `${LOOKBACK_MS / MINUTE}m`,
      AUDITFEED_REQUESTS_PER_MINUTE: String(REQUESTS_PER_MINUTE),
      AUDITFEED_POLL_INTERVAL: "10s",
      AUDITFEED_FETCH_CONCURRENCY: "2",
      AUDITFEED_SINK_ROTATE_BYTES: "4MiB",
      AUDITFEED_LOG_LEVEL: "debug",
    });

    const head = azurite.service.getContainerClient(container).getBlobClient("head.json");
    /**
     * Starts `command` until a run gets the state. A run that finds the lease held exits 4 at once; the next starts
     * when the service says the lease is no longer held (a dead run's lease expires by itself within 15 s).
     */
    const startHolding = async (command: string, extra: Record<string, string> = {}): Promise<{ run: CliRun; heldExits: number }> => {
      for (let heldExits = 0; ; heldExits++) {
        const run = runCli([command], { ...env, ...extra });
        const opened = await run.waitForLog((entry) => entry["msg"] === "Collector opened.", 30_000);
        if (opened) return { run, heldExits };
        const { code } = await run.exit;
        expect(code, `a restart failed otherwise than on the held lease:\n${run.stderr().slice(-2_000)}`).toBe(4);
        const freed = await pollUntil(async () => (await head.getProperties()).leaseState !== "leased", 30_000, 250);
        expect(freed, "the dead run's lease expired by itself").toBe(true);
      }
    };

    const heldExits: number[] = [];
    const kills = await killRepeatedly({
      kills: KILLS,
      seed: SEED,
      start: async (index) => {
        if (index % 4 === 3) emulator.clock.advance(3 * MINUTE);
        const started = await startHolding("run");
        heldExits.push(started.heldExits);
        return started.run;
      },
      delivering: async () => {
        const before = await segmentBytes(events);
        return pollUntil(async () => (await segmentBytes(events)) !== before, 30_000, 5);
      },
      // Every fourth run is killed after its first commit of records, so kills also land on committed progress.
      afterCommit: (index) => index % 4 === 1,
      maxDelayMs: { delivering: 800, committed: 1_500 },
      killed: async ({ index }) => {
        if ((index + 1) % WAIT_FOR_EXPIRY_EVERY !== 0) await azurite.breakLease(container);
      },
    });
    summary.push(...kills.map((kill, index) => ({ delayMs: kill.delayMs, interruptedDelivery: kill.interruptedDelivery, heldExits: heldExits[index] ?? 0 })));

    const { run: once } = await startHolding("once", { AUDITFEED_FETCH_CONCURRENCY: "8" });
    const exit = await once.exit;
    final = { code: exit.code, stderr: once.stderr() };
    delivered = await readDeliveredRecords(events);
    committedHead = await azurite.readHead(container);
    console.log(
      `blob crash test: ${summary.length} kills, delays ${summary.map((kill) => kill.delayMs).join(",")} ms; restarts refused while a dead run's lease lasted: ${summary.map((kill) => kill.heldExits).join(",")}; ${delivered.lines} lines`,
    );
    // Minutes: each kill whose lease is left to expire costs 15 s, and every restart a process start.
  }, 480_000);

  afterAll(async () => {
    await Promise.all([emulator.close(), azurite.close(), directory.remove()]);
  });

  it("should finish with `once` exiting 0", () => {
    expect(final.code, final.stderr.slice(-2_000)).toBe(0);
  });

  it("should hold exactly the ground truth of the committed range, with no record twice", () => {
    const truth = new Set<string>();
    const historyStart = START.getTime() - HISTORY_HOURS * 60 * MINUTE;
    for (const type of CONTENT_TYPES) {
      const cursor = committedHead.cursors[type];
      expect(cursor?.listedThrough, `${type} has a committed cursor`).toBeTypeOf("string");
      const origin = new Date(cursor?.origin ?? "");
      expect(origin.getTime()).toBeLessThan(historyStart);
      expect(origin.getTime()).toBeGreaterThanOrEqual(START.getTime() - LOOKBACK_MS);
      for (const id of emulator.tenant(DEMO_TENANT).groundTruth({ from: origin, to: new Date(cursor?.listedThrough ?? ""), contentTypes: [type] }).ids) {
        truth.add(id);
      }
    }
    expect(truth.size).toBeGreaterThanOrEqual(50_000);
    expect(delivered.lines - delivered.ids.size).toBe(0);
    expect([...truth].filter((id) => !delivered.ids.has(id))).toEqual([]);
    expect([...delivered.ids].filter((id) => !truth.has(id))).toEqual([]);
  });

  it("should have interrupted delivery at least 10 times, and proceeded after a dead run's lease expired by itself", () => {
    expect(summary.filter((kill) => kill.interruptedDelivery).length).toBeGreaterThanOrEqual(10);
    // After each kill whose lease was left to expire, the restart was refused (exit 4) until it did.
    expect(summary.filter((kill, index) => index > 0 && index % WAIT_FOR_EXPIRY_EVERY === 0 && kill.heldExits > 0).length).toBeGreaterThanOrEqual(3);
  });
});
