import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../../collector/src/log/logger.ts";
import { Delivery } from "../../../collector/src/pipeline/delivery.ts";
import { readDeliveredRecords } from "../../../collector/src/sinks/file/delivered-records.ts";
import { FileSink } from "../../../collector/src/sinks/file/file-sink.ts";
import { sinkError } from "../../../collector/src/sinks/sink-error.ts";
import type { ContentDescriptor } from "../../../collector/src/source/content.ts";
import type { FetchedRecord } from "../../../collector/src/source/management-client.ts";
import { SqliteStateStore } from "../../../collector/src/state/sqlite-store.ts";
import type { BlobRef } from "../../../collector/src/state/store.ts";
import { temporaryDirectory } from "../../e2e/harness.ts";

const DAY = 86_400_000;

function blob(contentId: string): ContentDescriptor {
  return {
    contentType: "Audit.Exchange",
    contentId,
    contentUri: `https://manage.office.com/api/v1.0/t/activity/feed/audit/${contentId}`,
    contentCreated: "2026-11-20T10:00:00.000Z",
    contentExpiration: "2026-11-27T10:00:00.000Z",
  };
}

const records = (...ids: string[]): FetchedRecord[] =>
  ids.map((id) => ({ id, creationTime: "2026-11-20T10:00:00", bytes: Buffer.from(JSON.stringify({ Id: id })) }));

/** A blob as the listing shows it, for a ledger lookup. */
const listed = (contentId: string): BlobRef => ({ contentId, contentExpiration: blob(contentId).contentExpiration });

async function* batches(...groups: Array<FetchedRecord[] | Error>): AsyncGenerator<FetchedRecord[]> {
  for (const group of groups) {
    if (group instanceof Error) throw group;
    yield group;
  }
}

describe("Delivery", () => {
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let store: SqliteStateStore;
  let sink: FileSink;
  let delivery: Delivery;
  const events = (): string => join(directory.path, "events");

  beforeEach(async () => {
    directory = await temporaryDirectory();
    store = new SqliteStateStore({ path: join(directory.path, "state.sqlite"), dedupeHorizonMs: 8 * DAY });
    await store.open();
    sink = new FileSink({ directory: events(), rotateBytes: 1_048_576 });
    await sink.open(null);
    const committedCheckpoint = await sink.flush();
    await store.commit({ blobs: [], sinkCheckpoint: committedCheckpoint, at: new Date() });
    delivery = new Delivery({ sink, store, logger: silentLogger, committedCheckpoint, now: () => new Date() });
  });

  afterEach(async () => {
    await sink.close();
    await store.close();
    await directory.remove();
  });

  it("should write each record once across blobs of a group and across groups, and count only what it committed", async () => {
    expect(await delivery.deliverBlob(blob("a"), batches(records("1", "2", "2"), records("3")))).toBe(3);
    expect(await delivery.deliverBlob(blob("b"), batches(records("3", "4")))).toBe(1);
    expect(await delivery.commit()).toEqual([
      { contentType: "Audit.Exchange", contentId: "a", outcome: "delivered", records: 3, duplicates: 1, bytes: 30 },
      { contentType: "Audit.Exchange", contentId: "b", outcome: "delivered", records: 1, duplicates: 1, bytes: 10 },
    ]);
    await delivery.deliverBlob(blob("c"), batches(records("4", "5")));
    expect(await delivery.commit()).toEqual([{ contentType: "Audit.Exchange", contentId: "c", outcome: "delivered", records: 1, duplicates: 1, bytes: 10 }]);
    const delivered = await readDeliveredRecords(events());
    expect([...delivered.ids].sort()).toEqual(["1", "2", "3", "4", "5"]);
    expect(delivered.lines).toBe(5);
    expect(await store.committedBlobs(["a", "b", "c", "d"].map(listed))).toEqual(new Set(["a", "b", "c"]));
  });

  it("should take back only the blob that fails mid-stream: the blobs before it in the group are committed", async () => {
    await delivery.deliverBlob(blob("a"), batches(records("1", "2")));
    await expect(delivery.deliverBlob(blob("b"), batches(records("3"), new Error("download broke off")))).rejects.toThrow("download broke off");
    expect((await delivery.commit()).map((committed) => [committed.contentId, committed.records])).toEqual([["a", 2]]);
    expect(await store.committedBlobs(["a", "b"].map(listed))).toEqual(new Set(["a"]));

    await delivery.deliverBlob(blob("b"), batches(records("3", "4")));
    expect((await delivery.commit()).map((committed) => [committed.contentId, committed.records])).toEqual([["b", 2]]);
    const delivered = await readDeliveredRecords(events());
    expect(delivered.lines).toBe(4);
    expect(delivered.ids.size).toBe(4);
  });

  it("should not hold the records of a failed dedupe lookup as written: the blob's retry in the same group delivers them", async () => {
    await delivery.deliverBlob(blob("a"), batches(records("1", "2")));
    const deliveredRecords = store.deliveredRecords.bind(store);
    store.deliveredRecords = () => Promise.reject(new Error("lookup failed"));
    await expect(delivery.deliverBlob(blob("b"), batches(records("2", "3", "4")))).rejects.toThrow("lookup failed");
    store.deliveredRecords = deliveredRecords;
    expect(await delivery.deliverBlob(blob("b"), batches(records("2", "3", "4")))).toBe(2);
    expect((await delivery.commit()).map((committed) => [committed.contentId, committed.records, committed.duplicates])).toEqual([
      ["a", 2, 0],
      ["b", 2, 1],
    ]);
    expect([...(await readDeliveredRecords(events())).ids].sort()).toEqual(["1", "2", "3", "4"]);
  });

  it("should discard the whole group when the sink fails, so the reopened sink and the next commit agree", async () => {
    await delivery.deliverBlob(blob("a"), batches(records("1", "2")));
    const failing = sinkError("file", "disk gone", { retryable: true });
    await expect(delivery.deliverBlob(blob("b"), batches(records("3"), failing))).rejects.toBe(failing);
    expect(await delivery.commit()).toEqual([]);
    expect(await store.committedBlobs(["a", "b"].map(listed))).toEqual(new Set());
  });

  it("should forget the group when the state commit fails: the sink is rolled back before anything is committed again", async () => {
    await delivery.deliverBlob(blob("a"), batches(records("1", "2")));
    const commit = store.commit.bind(store);
    store.commit = () => Promise.reject(new Error("disk full"));
    await expect(delivery.commit()).rejects.toThrow("disk full");
    store.commit = commit;
    expect(await delivery.commit()).toEqual([]);
    expect(await store.committedBlobs(["a"].map(listed))).toEqual(new Set());
  });

  describe("a blob bigger than a group", () => {
    beforeEach(() => {
      delivery = new Delivery({
        sink,
        store,
        logger: silentLogger,
        committedCheckpoint: delivery.committedCheckpoint,
        limits: { maxGroupRecords: 3, maxGroupMs: 60_000 },
        now: () => new Date(),
      });
    });

    it("should commit in parts, holding a group's ids at most, and enter the ledger with its last part", async () => {
      const seen: Array<{ delivered: number; inLedger: boolean }> = [];
      const ids = ["1", "2", "3", "4", "5", "6"];
      async function* watched(): AsyncGenerator<FetchedRecord[]> {
        for (let start = 0; start < ids.length; start += 2) {
          // What the state holds when the next batch is asked for: the parts committed so far.
          seen.push({
            delivered: (await store.deliveredRecords(records(...ids))).size,
            inLedger: (await store.committedBlobs([listed("big")])).size > 0,
          });
          yield records(...ids.slice(start, start + 2));
        }
      }
      expect(await delivery.deliverBlob(blob("big"), watched())).toBe(6);
      expect(seen).toEqual([
        { delivered: 0, inLedger: false },
        { delivered: 0, inLedger: false },
        { delivered: 4, inLedger: false },
      ]);
      expect(await delivery.commit()).toEqual([
        { contentType: "Audit.Exchange", contentId: "big", outcome: "partial", records: 4, duplicates: 0, bytes: 40 },
        { contentType: "Audit.Exchange", contentId: "big", outcome: "delivered", records: 2, duplicates: 0, bytes: 20 },
      ]);
      expect(await store.committedBlobs([listed("big")])).toEqual(new Set(["big"]));
      const delivered = await readDeliveredRecords(events());
      expect(delivered.lines).toBe(6);
      expect(delivered.ids.size).toBe(6);
    });

    it("should report the whole blobs that a part's commit took along, so the cycle counts them and moves its cursor past them", async () => {
      expect(await delivery.deliverBlob(blob("small"), batches(records("1", "2")))).toBe(2);
      expect(await delivery.deliverBlob(blob("big"), batches(records("3", "4"), records("5")))).toBe(3);
      expect(await store.committedBlobs([listed("small"), listed("big")])).toEqual(new Set(["small"]));
      expect(await delivery.commit()).toEqual([
        { contentType: "Audit.Exchange", contentId: "small", outcome: "delivered", records: 2, duplicates: 0, bytes: 20 },
        { contentType: "Audit.Exchange", contentId: "big", outcome: "partial", records: 2, duplicates: 0, bytes: 20 },
        { contentType: "Audit.Exchange", contentId: "big", outcome: "delivered", records: 1, duplicates: 0, bytes: 10 },
      ]);
    });

    it("should deliver only the rest when it is fetched again after a failure, even in another order", async () => {
      await expect(
        delivery.deliverBlob(blob("big"), batches(records("1", "2"), records("3", "4"), records("5"), new Error("download broke off"))),
      ).rejects.toThrow("download broke off");
      // The part (1-4) is committed; 5, written after it, was taken back.
      expect(await delivery.commit()).toEqual([{ contentType: "Audit.Exchange", contentId: "big", outcome: "partial", records: 4, duplicates: 0, bytes: 40 }]);
      expect(await store.committedBlobs([listed("big")])).toEqual(new Set());
      expect(await delivery.deliverBlob(blob("big"), batches(records("6", "5", "4"), records("3", "2", "1")))).toBe(2);
      expect(await delivery.commit()).toEqual([
        { contentType: "Audit.Exchange", contentId: "big", outcome: "delivered", records: 2, duplicates: 4, bytes: 20 },
      ]);
      const delivered = await readDeliveredRecords(events());
      expect(delivered.lines).toBe(6);
      expect([...delivered.ids].sort()).toEqual(["1", "2", "3", "4", "5", "6"]);
    });
  });

  it("should commit an expired blob to the ledger without records", async () => {
    delivery.markExpired(blob("gone"));
    expect(await delivery.commit()).toEqual([{ contentType: "Audit.Exchange", contentId: "gone", outcome: "expired", records: 0, duplicates: 0, bytes: 0 }]);
    expect(await store.committedBlobs([listed("gone")])).toEqual(new Set(["gone"]));
  });
});
