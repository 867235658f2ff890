import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collector } from "../../collector/src/collector.ts";
import { silentLogger } from "../../collector/src/log/logger.ts";
import type { ContentTypeReport } from "../../collector/src/pipeline/cycle.ts";
import { readDeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { DEMO_TENANT, demoTenant, type Emulator, startEmulator } from "../../emulator/src/index.ts";
import { collectorConfig, FAST_RETRY, groundTruthOver, temporaryDirectory } from "./harness.ts";

const MINUTE = 60_000;

/**
 * The promise of the product, against every fault the emulator has at once: over several cycles, with the clock
 * moving hours ahead, the set of records in the sink equals the emulator's ground truth and no record is there twice.
 */
describe("exactly once under every fault of the service", () => {
  let emulator: Emulator;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  const totals = { records: 0, duplicates: 0, expired: 0 };
  let first: ContentTypeReport[] = [];
  let last: ContentTypeReport[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({
      seed: 11,
      now: new Date("2026-11-20T12:00:00Z"),
      freezeClock: true,
      pageSize: 20,
      tenants: [
        {
          ...demoTenant(),
          historyHours: 30,
          recordsPerBlob: 40,
          eventsPerHour: Object.fromEntries(CONTENT_TYPES.map((type) => [type, 400])),
          faults: {
            lateBlobRate: 0.2,
            lateBlobDelayMinutes: 120,
            duplicateRecordRate: 0.05,
            expiredBlobRate: 0.03,
            transientErrorRate: 0.03,
            throttleRate: 0.02,
            slowResponseMs: 1,
          },
        },
      ],
    });
    directory = await temporaryDirectory();
    const config = collectorConfig(emulator, directory.path, { AUDITFEED_LOOKBACK: "12h", AUDITFEED_OVERLAP: "24h" });
    const collector = await Collector.open(config, silentLogger, { retry: FAST_RETRY });
    try {
      // Eight cycles 20 minutes apart, then one after the late blobs' delay has passed.
      for (let cycle = 0; cycle < 9; cycle++) {
        if (cycle > 0) emulator.clock.advance(cycle === 8 ? 150 * MINUTE : 20 * MINUTE);
        const report = await collector.cycle();
        if (cycle === 0) first = [...report.contentTypes];
        last = [...report.contentTypes];
        for (const entry of report.contentTypes) {
          totals.records += entry.records;
          totals.duplicates += entry.duplicates;
          totals.expired += entry.expired;
        }
      }
    } finally {
      await collector.close();
    }
  });

  afterAll(async () => {
    await emulator.close();
    await directory.remove();
  });

  it("should deliver every record the emulator holds exactly once", async () => {
    const delivered = await readDeliveredRecords(`${directory.path}/events`);
    const truth = groundTruthOver(emulator, first, last);
    expect(truth.size).toBeGreaterThan(20_000);
    expect(delivered.lines - delivered.ids.size).toBe(0);
    expect([...truth].filter((id) => !delivered.ids.has(id))).toEqual([]);
    expect([...delivered.ids].filter((id) => !truth.has(id))).toEqual([]);
    expect(totals.records).toBe(delivered.lines);
  });

  it("should actually have met the faults it claims to survive", () => {
    const statuses = emulator.requests.map((request) => request.status);
    expect(statuses.filter((status) => status === 500).length).toBeGreaterThan(0);
    expect(statuses.filter((status) => status === 403 || status === 429).length).toBeGreaterThan(0);
    expect(totals.duplicates).toBeGreaterThan(0);
    expect(totals.expired).toBeGreaterThan(0);
    expect(last.every((entry) => entry.error === undefined && entry.failed === 0)).toBe(true);
  });

  it("should send PublisherIdentifier and a bearer token on every Management API call", () => {
    const management = emulator.requests.filter((request) => request.op !== "unknown");
    expect(management.length).toBeGreaterThan(100);
    expect(management.filter((request) => request.publisherIdentifier?.toLowerCase() !== DEMO_TENANT)).toEqual([]);
    expect(management.filter((request) => !request.hadBearer)).toEqual([]);
  });

  it("should start each subscription once and never twice within 15 minutes", () => {
    const starts = emulator.requests.filter((request) => request.op === "start");
    expect(starts.map((request) => request.contentType).sort()).toEqual([...CONTENT_TYPES].sort());
  });
});
