import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditfeedError } from "../../../collector/src/errors.ts";
import { createLogger } from "../../../collector/src/log/logger.ts";
import { runCycle, type CycleReport, type CycleSettings } from "../../../collector/src/pipeline/cycle.ts";
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

  async function cycles(client: ScriptedClient, count: number, stepMs = 5 * MINUTE): Promise<CycleReport[]> {
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
      reports.push(await runCycle({ client, store, delivery, logger }, cursors, SETTINGS));
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
});
