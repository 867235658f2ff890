import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditfeedError } from "../../../collector/src/errors.ts";
import { createLogger } from "../../../collector/src/log/logger.ts";
import { runCycle, type CycleOptions, type CycleReport, type CycleSettings } from "../../../collector/src/pipeline/cycle.ts";
import { Delivery } from "../../../collector/src/pipeline/delivery.ts";
import { readDeliveredRecords } from "../../../collector/src/sinks/file/delivered-records.ts";
import { FileSink } from "../../../collector/src/sinks/file/file-sink.ts";
import type { ContentType } from "../../../collector/src/source/content.ts";
import { SqliteStateStore } from "../../../collector/src/state/sqlite-store.ts";
import type { ContentTypeCursor } from "../../../collector/src/state/store.ts";
import { temporaryDirectory } from "../../e2e/harness.ts";
import { descriptorOf, ScriptedClient, type ScriptedBlob } from "./fixtures/scripted-client.ts";

const MINUTE = 60_000;
const DAY = 86_400_000;
const NOW = new Date("2026-11-20T12:00:00.000Z");
const SETTINGS: CycleSettings = {
  contentTypes: ["Audit.Exchange"],
  lookbackMs: 60 * MINUTE,
  overlapMs: 24 * 60 * MINUTE,
  fetchConcurrency: 2,
  maxBufferedBytesPerBlob: 1_048_576,
};

const minutesBefore = (minutes: number): Date => new Date(NOW.getTime() - minutes * MINUTE);
const ids = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
const total = (report: CycleReport, field: "blobs" | "records" | "expired" | "failed"): number =>
  report.contentTypes.reduce((sum, entry) => sum + entry[field], 0);

/** runCycle over a real file sink and SQLite store, as `auditfeed run` uses them, against a scripted API. */
describe("runCycle over several cycles", () => {
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let store: SqliteStateStore;
  let sink: FileSink;
  let logs: Array<{ level: string; msg: string }>;

  beforeEach(async () => {
    directory = await temporaryDirectory();
    logs = [];
  });
  afterEach(async () => {
    await sink.close();
    await store.close();
    await directory.remove();
  });

  async function cycles(
    client: ScriptedClient,
    count: number,
    stepMs = 5 * MINUTE,
    options: (cycle: number) => CycleOptions = () => ({}),
  ): Promise<CycleReport[]> {
    store = new SqliteStateStore({ path: join(directory.path, "state.sqlite"), dedupeHorizonMs: 8 * DAY, now: () => client.now });
    const snapshot = await store.open();
    sink = new FileSink({ directory: join(directory.path, "events"), rotateBytes: 1_048_576 });
    await sink.open(null);
    const committedCheckpoint = await sink.flush();
    await store.commit({ blobs: [], sinkCheckpoint: committedCheckpoint, at: client.now });
    const logger = createLogger({ level: "debug", write: (line) => logs.push(JSON.parse(line) as { level: string; msg: string }) });
    const delivery = new Delivery({ sink, store, logger, committedCheckpoint, now: () => client.now });
    const cursors: Partial<Record<ContentType, ContentTypeCursor>> = { ...snapshot.cursors };
    const reports: CycleReport[] = [];
    for (let cycle = 0; cycle < count; cycle++) {
      if (cycle > 0) client.now = new Date(client.now.getTime() + stepMs);
      reports.push(await runCycle({ client, store, delivery, logger }, cursors, SETTINGS, options(cycle)));
    }
    return reports;
  }

  it("issue 7 item 2: should commit the good blobs of a group in which a later blob fails half-way, and keep only that blob pending", async () => {
    const broken = (): Error =>
      new AuditfeedError("AF_ERR_TRANSIENT", "Blob bad could not be read after 1 records: the download broke off.", { retryable: true });
    const blobs: ScriptedBlob[] = [
      { contentId: "good-1", created: minutesBefore(50), records: ids("good-1", 3) },
      { contentId: "good-2", created: minutesBefore(40), records: ids("good-2", 2) },
      { contentId: "bad", created: minutesBefore(30), records: ids("bad", 4), failure: { afterBatches: 1, error: broken } },
    ];
    const client = new ScriptedClient(NOW, blobs);
    const reports = await cycles(client, 3);

    expect(reports.map((report) => [total(report, "blobs"), total(report, "failed")])).toEqual([
      [2, 1],
      [0, 1],
      [0, 1],
    ]);
    expect(await store.committedBlobs(blobs.map(descriptorOf))).toEqual(new Set(["good-1", "good-2"]));
    const delivered = await readDeliveredRecords(join(directory.path, "events"));
    expect([...delivered.ids].sort()).toEqual([...ids("good-1", 3), ...ids("good-2", 2)].sort());
    expect(delivered.lines).toBe(5);
    // The good blobs were fetched once; only the failing one is tried again.
    expect(client.fetched).toEqual(["good-1", "good-2", "bad", "bad", "bad"]);
  });

  it("issue 7 item 4: should count a blob listed as already expired as lost once, not in every cycle", async () => {
    const blobs: ScriptedBlob[] = [
      { contentId: "expired", created: minutesBefore(50), expiration: minutesBefore(1), records: ids("expired", 2) },
      { contentId: "fine", created: minutesBefore(45), records: ids("fine", 2) },
    ];
    const client = new ScriptedClient(NOW, blobs);
    const reports = await cycles(client, 3);

    expect(reports.map((report) => total(report, "expired"))).toEqual([1, 0, 0]);
    expect(logs.filter((entry) => entry.level === "error" && entry.msg.includes("expired"))).toHaveLength(1);
    expect(client.fetched).toEqual(["fine"]);
  });

  it("issue 7 item 5: should keep retrying a failing blob from the state after it leaves the listing, without a false gap", async () => {
    const transient = (): Error => new AuditfeedError("AF_ERR_TRANSIENT", "The Management API failed to fetch content; it said to retry.", { retryable: true });
    const client = new ScriptedClient(NOW, [
      { contentId: "early", created: minutesBefore(55), records: ids("early", 2) },
      // Fails for a week, then recovers: it can still be fetched (until its expiration), though no longer listed.
      {
        contentId: "slow",
        created: minutesBefore(50),
        expiration: new Date(minutesBefore(50).getTime() + 8 * DAY),
        records: ids("slow", 3),
        failure: { afterBatches: 0, error: transient, until: new Date(NOW.getTime() + 7 * DAY) },
      },
    ]);
    const reports = await cycles(client, 10, 20 * 60 * MINUTE);

    expect(reports.map((report) => report.contentTypes[0]?.gap)).toEqual(Array.from({ length: 10 }, () => undefined));
    expect(logs.filter((entry) => entry.msg.includes("not collected"))).toEqual([]);
    expect(reports.map((report) => total(report, "failed"))).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(reports.map((report) => total(report, "expired"))).toEqual(Array.from({ length: 10 }, () => 0));
    expect([...(await readDeliveredRecords(join(directory.path, "events"))).ids].sort()).toEqual([...ids("early", 2), ...ids("slow", 3)].sort());
    expect(await store.failedBlobs()).toEqual([]);
  });

  it("issue 7 item 5: should report the one blob that was lost, once, when it expires still failing", async () => {
    const transient = (): Error => new AuditfeedError("AF_ERR_TRANSIENT", "The Management API failed to fetch content; it said to retry.", { retryable: true });
    const client = new ScriptedClient(NOW, [
      { contentId: "doomed", created: minutesBefore(50), records: ids("doomed", 3), failure: { afterBatches: 0, error: transient } },
      { contentId: "fine", created: minutesBefore(40), records: ids("fine", 1) },
    ]);
    const reports = await cycles(client, 9, DAY);

    expect(reports.map((report) => total(report, "expired"))).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 0]);
    expect(reports.every((report) => report.contentTypes[0]?.gap === undefined)).toBe(true);
    const lost = logs.filter((entry) => entry.level === "error" && entry.msg.startsWith("Blobs expired")) as Array<{ contentIds?: string[] }>;
    expect(lost.map((entry) => entry.contentIds)).toEqual([["doomed"]]);
  });

  it("issue 7 item 7: should quarantine a blob after 3 identical malformed failures across cycles, then only report it", async () => {
    const malformed = (): Error => new AuditfeedError("AF_ERR_BLOB_MALFORMED", "Blob bad is malformed after 1 records.", { retryable: true });
    const client = new ScriptedClient(NOW, [
      { contentId: "bad", created: minutesBefore(50), records: ids("bad", 3), failure: { afterBatches: 1, error: malformed } },
      { contentId: "good", created: minutesBefore(40), records: ids("good", 2) },
    ]);
    const reports = await cycles(client, 5);

    // Once quarantined it is no longer fetched, so no longer backlog (pending): it is reported as quarantined instead.
    expect(reports.map((report) => [total(report, "failed"), report.contentTypes[0]?.pending, report.contentTypes[0]?.quarantined])).toEqual([
      [1, 1, 0],
      [1, 1, 0],
      [1, 0, 1],
      [0, 0, 1],
      [0, 0, 1],
    ]);
    expect(client.fetched.filter((id) => id === "bad")).toHaveLength(3);
    const summaries = logs.filter((entry) => entry.level === "error" && entry.msg.includes("are quarantined")) as Array<{
      quarantined?: number;
      byContentType?: Record<string, { count: number; blobs: Array<{ contentId: string }> }>;
    }>;
    expect(summaries).toHaveLength(3);
    expect(summaries[2]?.quarantined).toBe(1);
    expect(summaries[2]?.byContentType?.["Audit.Exchange"]?.blobs.map((blob) => blob.contentId)).toEqual(["bad"]);
    const [remembered] = await store.failedBlobs();
    expect(remembered).toMatchObject({ code: "AF_ERR_BLOB_MALFORMED", failures: 3 });
    expect(remembered?.quarantinedAt).not.toBeNull();
    expect([...(await readDeliveredRecords(join(directory.path, "events"))).ids]).toEqual(ids("good", 2));
  });

  it("should never quarantine a blob for service-wide faults, and restart the count when the failure changes", async () => {
    let attempt = 0;
    const alternating = (): Error => {
      attempt++;
      return attempt % 3 === 0
        ? new AuditfeedError("AF_ERR_TRANSIENT", "The Management API failed to fetch content.", { retryable: true })
        : new AuditfeedError("AF_ERR_BLOB_MALFORMED", "Blob flaky is malformed.", { retryable: true });
    };
    const client = new ScriptedClient(NOW, [
      { contentId: "flaky", created: minutesBefore(50), records: ids("flaky", 2), failure: { afterBatches: 0, error: alternating } },
    ]);
    const reports = await cycles(client, 7);

    expect(reports.map((report) => report.contentTypes[0]?.quarantined)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect((await store.failedBlobs())[0]).toMatchObject({ code: "AF_ERR_BLOB_MALFORMED", failures: 1 });
  });

  it("should not count a blob broken off by a stop as failed: the next cycle delivers it", async () => {
    const stop = new AbortController();
    const brokenOff = (): Error => {
      stop.abort();
      return new AuditfeedError("AF_ERR_TRANSIENT", "The request was aborted.", { retryable: true });
    };
    const client = new ScriptedClient(NOW, [
      { contentId: "first", created: minutesBefore(50), records: ids("first", 2) },
      {
        contentId: "stopped",
        created: minutesBefore(40),
        records: ids("stopped", 3),
        failure: { afterBatches: 1, error: brokenOff, until: new Date(NOW.getTime() + 1) },
      },
    ]);
    const reports = await cycles(client, 2, 5 * MINUTE, (cycle) => (cycle === 0 ? { stop: stop.signal } : {}));

    expect(reports.map((report) => [report.interrupted, total(report, "failed"), total(report, "blobs")])).toEqual([
      [true, 0, 1],
      [false, 0, 1],
    ]);
    expect(await store.failedBlobs()).toEqual([]);
    expect((await readDeliveredRecords(join(directory.path, "events"))).lines).toBe(5);
  });
});
