import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import { readDeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { DEMO_TENANT, demoTenant, type Emulator, type EmulatorOptions, startEmulator } from "../../emulator/src/index.ts";
import { collectorEnvironment, logEntries, runCli, temporaryDirectory } from "./harness.ts";

/**
 * SIGTERM (what Container Apps sends, 30 s before it kills) to a real `auditfeed once` while it is busy retrying or
 * waiting out throttling: it must end every request, wait and retry at once, commit nothing half-done, say that it
 * stopped and why, and exit with 1 ("the rest stays pending"). A following run then delivers exactly the ground truth.
 */
const START = new Date("2026-11-20T12:00:00Z");
/** Shorter than the look-back, so the listed range holds all the emulator's content whatever second the run took as now. */
const HISTORY_HOURS = 2;
const LOOKBACK = "3h";
/** "Within a few seconds" on a loaded CI machine; an unhonoured stop takes minutes (the retry budget is 10 minutes). */
const EXIT_WITHIN_MS = 8_000;
const STOPPED = /^The cycle stopped before its end \(stopped on SIGTERM\)/;

const emulatorOptions = (faults: NonNullable<EmulatorOptions["tenants"]>[number]["faults"], requestsPerMinute?: number): EmulatorOptions => ({
  seed: 21,
  now: START,
  freezeClock: true,
  // Subscribed, so that the healthy emulator of the next run needs no start (the API spaces starts 15 minutes apart).
  tenants: [
    {
      ...demoTenant(),
      historyHours: HISTORY_HOURS,
      subscribed: [...CONTENT_TYPES],
      ...(faults === undefined ? {} : { faults }),
      ...(requestsPerMinute === undefined ? {} : { requestsPerMinute }),
    },
  ],
});

describe("auditfeed once stopped by SIGTERM", () => {
  let emulators: Emulator[] = [];
  let directory: Awaited<ReturnType<typeof temporaryDirectory>> | undefined;
  afterEach(async () => {
    await Promise.all(emulators.map((emulator) => emulator.close()));
    emulators = [];
    await directory?.remove();
  });

  async function stopWhile(faulty: EmulatorOptions, busy: (entries: Record<string, unknown>[]) => boolean): Promise<void> {
    directory = await temporaryDirectory();
    const emulator = await startEmulator(faulty);
    emulators.push(emulator);
    const run = runCli(["once"], collectorEnvironment(emulator, directory.path, { AUDITFEED_LOOKBACK: LOOKBACK, AUDITFEED_LOG_LEVEL: "debug" }));
    const reached = await run.waitForLog(() => busy([...run.logs()]), 60_000);
    expect(reached, run.stderr().slice(-2_000)).toBe(true);

    const signalledAt = Date.now();
    run.child.kill("SIGTERM");
    const exited = await Promise.race([run.exit, sleep(EXIT_WITHIN_MS, undefined)]);
    const tookMs = Date.now() - signalledAt;
    if (exited === undefined) run.child.kill("SIGKILL");
    expect(exited, `still running ${EXIT_WITHIN_MS} ms after SIGTERM:\n${run.stderr().slice(-2_000)}`).toEqual({ code: 1, signal: null });
    console.log(`auditfeed once exited ${tookMs} ms after SIGTERM`);
    const entries = logEntries(run.stderr());
    const stopped = entries.findIndex((entry) => STOPPED.test(String(entry["msg"])));
    expect(stopped, run.stderr().slice(-2_000)).toBeGreaterThanOrEqual(0);
    expect(entries[stopped]?.["level"]).toBe("warn");
    // Nothing is sent or retried after the stop was logged.
    expect(entries.slice(stopped).filter((entry) => /request failed and will be retried|throttling the tenant/.test(String(entry["msg"])))).toEqual([]);
    const afterStop = await readDeliveredRecords(join(directory.path, "events"));
    expect(afterStop.lines).toBe(afterStop.ids.size);

    // The same content without the fault: the next run completes what the stopped one left, each record once.
    const healthy = await startEmulator(emulatorOptions(undefined));
    emulators.push(healthy);
    const next = runCli(["once"], collectorEnvironment(healthy, directory.path, { AUDITFEED_LOOKBACK: LOOKBACK }));
    expect((await next.exit).code, next.stderr().slice(-2_000)).toBe(0);
    const delivered = await readDeliveredRecords(join(directory.path, "events"));
    const truth = healthy.tenant(DEMO_TENANT).groundTruth({ from: new Date(START.getTime() - 3 * 3_600_000), to: START });
    expect(truth.count).toBeGreaterThan(0);
    expect(delivered.lines).toBe(truth.count);
    expect([...truth.ids].filter((id) => !delivered.ids.has(id))).toEqual([]);
  }

  it("should stop at once while requests are retried at a 60 % transient error rate", async () => {
    await stopWhile(emulatorOptions({ transientErrorRate: 0.6 }), (entries) => {
      const committed = entries.some((entry) => entry["msg"] === "Committed a delivery group." && Number(entry["records"]) > 0);
      const retrying = entries.filter((entry) => entry["msg"] === "A Management API request failed and will be retried.").length;
      return committed && retrying >= 10;
    });
  }, 180_000);

  it("should stop at once while the whole tenant waits out throttling at a tiny request budget", async () => {
    await stopWhile(emulatorOptions(undefined, 12), (entries) =>
      entries.some((entry) => String(entry["msg"]).startsWith("The Management API is throttling the tenant")),
    );
  }, 180_000);
});
