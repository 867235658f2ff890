import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { demoTenant, startEmulator, type Emulator, type FaultOptions } from "../../emulator/src/index.ts";
import { Random } from "../../emulator/src/random.ts";
import type { CliRun } from "./harness.ts";

// The kill -9 loop the crash tests share (file sink on SQLite state, Blob state, syslog): start the collector, wait
// until it delivers (and, for some kills, until it committed), strike at a random instant, repeat. Each test says what
// starting and delivering mean for it and what to look at after a kill; the loop owns the timing and its seed.

/** The faults a crash test collects through unless it says otherwise: late blobs, repeated records, slow responses. */
const CRASH_FAULTS: FaultOptions = { lateBlobRate: 0.1, lateBlobDelayMinutes: 10, duplicateRecordRate: 0.03, slowResponseMs: 30 };

/**
 * The demo tenant a crash test collects from, on a frozen clock at `now`: `historyHours` of content in blobs of 150
 * records, `eventsPerHour` per content type, pages of 5,000, requests not recorded (a long test would hold them all).
 */
export function startCrashEmulator(options: {
  readonly seed: number;
  readonly now: Date;
  readonly historyHours: number;
  readonly requestsPerMinute: number;
  readonly eventsPerHour: number;
  readonly faults?: FaultOptions;
}): Promise<Emulator> {
  return startEmulator({
    seed: options.seed,
    now: options.now,
    freezeClock: true,
    recordRequests: false,
    pageSize: 5_000,
    tenants: [
      {
        ...demoTenant(),
        historyHours: options.historyHours,
        recordsPerBlob: 150,
        requestsPerMinute: options.requestsPerMinute,
        eventsPerHour: Object.fromEntries(CONTENT_TYPES.map((type) => [type, options.eventsPerHour])),
        faults: options.faults ?? CRASH_FAULTS,
      },
    ],
  });
}

/** The log line of a commit of delivered records (the first run also commits its cursors alone, before delivering). */
export const COMMITTED = "Committed a delivery group.";

export function isRecordCommit(entry: Record<string, unknown>): boolean {
  return entry["msg"] === COMMITTED && Number(entry["records"]) > 0;
}

/** Commits of delivered records in a run's log so far. */
export function recordCommits(run: CliRun): number {
  return run.logs().filter(isRecordCommit).length;
}

export interface Kill {
  readonly index: number;
  readonly run: CliRun;
  /** Milliseconds between what the kill waited for (delivery, or the first commit) and the SIGKILL. */
  readonly delayMs: number;
  /** The kill waited for the run's first commit of records first. */
  readonly afterCommit: boolean;
  /** The run was seen delivering before it was killed. */
  readonly interruptedDelivery: boolean;
  /** Commits of delivered records the run made before the kill. */
  readonly commits: number;
}

export interface KillPlan {
  readonly kills: number;
  /** Seeds the delays: the same seed strikes at the same instants after the same events. */
  readonly seed: number;
  /** Starts the run that kill `index` strikes, resolving once it runs (for Blob state: holds the state). */
  start(index: number): Promise<CliRun>;
  /** Resolves once the run delivers: true, or false if it did not within the test's patience (it is killed anyway). */
  delivering(run: CliRun, index: number): Promise<boolean>;
  /** Whether kill `index` waits for the run's first commit of records before its delay. Default: never. */
  afterCommit?(index: number): boolean;
  /** Upper bounds, in ms, of the random delay after delivery was seen and after the first commit. */
  readonly maxDelayMs: { readonly delivering: number; readonly committed?: number };
  /** Called after each kill, once the process is gone (inspect what survived, end a lease...). */
  killed?(kill: Kill): Promise<void>;
}

/** Runs the plan: `kills` runs, each SIGKILLed at a random instant while it delivers. */
export async function killRepeatedly(plan: KillPlan): Promise<Kill[]> {
  const random = new Random(plan.seed);
  const kills: Kill[] = [];
  for (let index = 0; index < plan.kills; index++) {
    const run = await plan.start(index);
    const interruptedDelivery = await plan.delivering(run, index);
    const afterCommit = plan.afterCommit?.(index) ?? false;
    if (afterCommit) {
      const committed = await run.waitForLog(isRecordCommit, 30_000);
      expect(committed, `run ${index} committed a group:\n${run.stderr().slice(-2_000)}`).toBe(true);
    }
    const delayMs = Math.round(5 + random.next() * (afterCommit ? (plan.maxDelayMs.committed ?? plan.maxDelayMs.delivering) : plan.maxDelayMs.delivering));
    await sleep(delayMs);
    run.child.kill("SIGKILL");
    const exit = await run.exit;
    expect(exit, `run ${index} ended by itself:\n${run.stderr().slice(-2_000)}`).toEqual({ code: null, signal: "SIGKILL" });
    const kill: Kill = { index, run, delayMs, afterCommit, interruptedDelivery, commits: recordCommits(run) };
    kills.push(kill);
    await plan.killed?.(kill);
  }
  return kills;
}
