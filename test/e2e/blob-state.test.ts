import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readDeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { DEMO_TENANT, demoTenant, type Emulator, startEmulator } from "../../emulator/src/index.ts";
import { startAzurite, type Azurite } from "../fixtures/azurite.ts";
import { collectorEnvironment, groundTruthOfCursors, logEntries, pollUntil, runCli, segmentBytes, temporaryDirectory } from "./harness.ts";

const START = new Date("2026-11-20T12:00:00Z");

/** Every record the emulator can give over each content type's committed range [origin, listedThrough), as the head says. */
async function groundTruthOfHead(emulator: Emulator, azurite: Azurite, container: string): Promise<Set<string>> {
  return groundTruthOfCursors(emulator, DEMO_TENANT, (await azurite.readHead(container)).cursors);
}

/**
 * `auditfeed once` and `run` with state in Blob storage (Azurite, started here) against the emulator: the lease makes
 * overlapping runs safe, and a run that loses its lease stops before it commits again.
 */
describe("collector state in Azure Blob storage", () => {
  let emulator: Emulator;
  let azurite: Azurite;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;

  beforeAll(async () => {
    [emulator, azurite, directory] = await Promise.all([
      startEmulator({
        seed: 31,
        now: START,
        freezeClock: true,
        pageSize: 200,
        tenants: [
          {
            ...demoTenant(),
            historyHours: 2,
            recordsPerBlob: 60,
            requestsPerMinute: 100_000,
            eventsPerHour: Object.fromEntries(CONTENT_TYPES.map((type) => [type, 2_000])),
            faults: { lateBlobRate: 0.1, lateBlobDelayMinutes: 10, duplicateRecordRate: 0.05, slowResponseMs: 20 },
          },
        ],
      }),
      startAzurite(),
      temporaryDirectory(),
    ]);
  });

  afterAll(async () => {
    await Promise.all([emulator.close(), azurite.close(), directory.remove()]);
  });

  it("should deliver every record once when two runs start at the same instant, the second exiting 4 having done nothing", async () => {
    const container = await azurite.createContainer();
    const events = join(directory.path, "same-instant", "events");
    const env = collectorEnvironment(emulator, join(directory.path, "same-instant"), {
      ...azurite.stateEnvironment(container),
      AUDITFEED_LOOKBACK: "3h",
      AUDITFEED_REQUESTS_PER_MINUTE: "100000",
    });
    const runs = [runCli(["once"], env), runCli(["once"], env)];
    const exits = await Promise.all(runs.map((run) => run.exit));
    expect(exits.map((exit) => exit.code).sort(), runs.map((run) => run.stderr().slice(-1_500)).join("\n---\n")).toEqual([0, 4]);

    const loser = runs[exits.findIndex((exit) => exit.code === 4)];
    const loserLog = logEntries(loser?.stderr() ?? "");
    expect(JSON.stringify(loserLog)).toContain("AF_ERR_STATE_LOCKED");
    expect(JSON.stringify(loserLog)).toContain("in use by another auditfeed run");
    expect(loserLog.filter((entry) => String(entry["msg"]).startsWith("Cycle") || entry["msg"] === "Collector opened.")).toEqual([]);

    const truth = await groundTruthOfHead(emulator, azurite, container);
    const delivered = await readDeliveredRecords(events);
    expect(truth.size).toBeGreaterThan(15_000);
    expect(delivered.lines - delivered.ids.size).toBe(0);
    expect([...truth].filter((id) => !delivered.ids.has(id))).toEqual([]);
    expect([...delivered.ids].filter((id) => !truth.has(id))).toEqual([]);

    // The next scheduled run finds the lease released and nothing new.
    const next = runCli(["once"], env);
    expect((await next.exit).code, next.stderr().slice(-1_500)).toBe(0);
    expect((await readDeliveredRecords(events)).lines).toBe(delivered.lines);
  });

  it("should stop a run whose lease was taken before its next commit, and the next run delivers the rest exactly once", async () => {
    const container = await azurite.createContainer();
    const events = join(directory.path, "lease-lost", "events");
    const env = collectorEnvironment(emulator, join(directory.path, "lease-lost"), {
      ...azurite.stateEnvironment(container),
      AUDITFEED_LOOKBACK: "3h",
      AUDITFEED_REQUESTS_PER_MINUTE: "100000",
      AUDITFEED_FETCH_CONCURRENCY: "1",
      AUDITFEED_POLL_INTERVAL: "10s",
    });
    const run = runCli(["run"], env);
    expect(await pollUntil(async () => (await segmentBytes(events)) > 0, 30_000), run.stderr().slice(-1_500)).toBe(true);
    // Another run takes the state over, as it would after this one stalled past its lease.
    await azurite.breakLease(container);
    const intruder = azurite.service.getContainerClient(container).getBlobClient("head.json").getBlobLeaseClient();
    await intruder.acquireLease(15);
    const exit = await run.exit;
    await intruder.releaseLease();
    expect(exit.code, run.stderr().slice(-2_000)).toBe(3);
    expect(run.stderr()).toContain("AF_ERR_STATE_LEASE_LOST");

    const next = runCli(["once"], env);
    expect((await next.exit).code, next.stderr().slice(-1_500)).toBe(0);
    const truth = await groundTruthOfHead(emulator, azurite, container);
    const delivered = await readDeliveredRecords(events);
    expect(delivered.lines - delivered.ids.size).toBe(0);
    expect([...truth].filter((id) => !delivered.ids.has(id))).toEqual([]);
    expect([...delivered.ids].filter((id) => !truth.has(id))).toEqual([]);
  });

  it("should say the state is held, exit 4 and deliver nothing while another run holds it", async () => {
    const container = await azurite.createContainer();
    const env = collectorEnvironment(emulator, join(directory.path, "held"), { ...azurite.stateEnvironment(container), AUDITFEED_LOOKBACK: "1h" });
    const first = runCli(["once"], env);
    expect((await first.exit).code).toBe(0);
    const holder = azurite.service.getContainerClient(container).getBlobClient("head.json").getBlobLeaseClient();
    await holder.acquireLease(15);
    const before = await segmentBytes(join(directory.path, "held", "events"));
    const held = runCli(["once"], env);
    expect((await held.exit).code).toBe(4);
    await holder.releaseLease();
    expect(await segmentBytes(join(directory.path, "held", "events"))).toBe(before);
    expect(held.stderr()).toContain("This run did nothing");
  });
});
