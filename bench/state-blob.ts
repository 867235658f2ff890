// The state part of a run with the Blob state store, against Azurite: bytes transferred, requests, wall time and peak
// RSS of a run with nothing new and of a run with 5 minutes of new records, with N ids already in the dedupe horizon.
// Then the dedupe cost per event with that history: 200,000 new events looked up in batches of 1,000 and committed in
// groups of 50,000, as delivery does: CPU per event of the lookups and of the commits apart, and the memory the store
// holds per id once they are committed (V8 heap and buffers outside it, after a full GC). Run:
// node bench/state-blob.ts [ids...]   (default: 0 1000000; 10 M ids take about 30 minutes of writing history on
// Azurite). Prints figures; asserts only correctness.
import { randomUUID } from "node:crypto";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from "../test/fixtures/azurite.ts";
import { createStateStore } from "../collector/src/state/index.ts";
import type { AzureBlobStateStore } from "../collector/src/state/azblob/azblob-store.ts";
import type { BlobCommit, RecordRef } from "../collector/src/state/store.ts";

const HOUR = 3_600_000;
const HORIZON_MS = 8 * 24 * HOUR;
const NOW = Date.parse("2026-11-20T12:00:00Z");
/** Blobs per hour of the tenant (all content types): what one listing of the 24-hour overlap re-checks in the ledger. */
const BLOBS_PER_HOUR = 120;
/** Ids per commit while the history is written, as the collector's default group size. */
const IDS_PER_COMMIT = 50_000;
/** New records in a 5-minute run; their CreationTimes spread over the last 2 hours (late blobs). */
const NEW_RECORDS = 5_000;

const sizes = process.argv.slice(2).map(Number);
const scenarios = sizes.length > 0 ? sizes : [0, 1_000_000];
/** New events of the dedupe measurement: CreationTimes in the last 2 hours, 1 % of them duplicates of that history. */
const DEDUPE_EVENTS = 200_000;
const LOOKUP_BATCH = 1_000;
let peakRss = 0;
const sample = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
};
const sampler = setInterval(sample, 50);
/** A GUID as a flat string: one joined from pieces is flattened by its first use, which would skew the memory figures. */
const guid = (): string => Buffer.from(randomUUID(), "latin1").toString("latin1");
const hourOf = (ms: number): string => new Date(ms).toISOString().slice(0, 19);
setFlagsFromString("--expose-gc");
/** A full garbage collection, so that memory figures count what is held, not what is waiting to be collected. */
const gc = runInNewContext("gc") as () => void;
const keptAlive: { events: readonly RecordRef[] } = { events: [] };
/** V8 heap in use plus the buffers outside it (typed arrays, Buffers). */
const held = async (): Promise<{ heap: number; buffers: number }> => {
  // Twice, with a turn of the event loop between: the heap in use counts pages until V8's concurrent sweeper frees them.
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, buffers: usage.arrayBuffers };
};
const mb = (bytes: number): string => (bytes / 1e6).toFixed(bytes < 1e5 ? 3 : 1);

/**
 * A run delivering DEDUPE_EVENTS new events (1 % duplicates of `recent` history): lookups in batches, commits in
 * groups, then close (its compaction included). Wall and CPU time of this process (Azurite runs in its own) per event.
 */
async function dedupeCost(open: (now: number) => AzureBlobStateStore, recent: readonly RecordRef[]): Promise<string> {
  const duplicates = recent.length === 0 ? 0 : DEDUPE_EVENTS / 100;
  const events: RecordRef[] = Array.from({ length: DEDUPE_EVENTS }, (_, i) =>
    i % 100 === 0 && duplicates > 0
      ? (recent[(i / 100) % recent.length] as RecordRef)
      : { id: guid(), creationTime: hourOf(NOW - 2 * HOUR + ((i * 37_000) % (2 * HOUR))) },
  );
  // Kept reachable through both measurements (V8 frees a local after its last use), so the difference is the store's.
  keptAlive.events = events;
  const before = await held();
  const store = open(NOW);
  await store.open();
  const started = performance.now();
  const cpu = process.cpuUsage();
  const cpuOf = async <T>(spent: { us: number }, body: () => Promise<T>): Promise<T> => {
    const from = process.cpuUsage();
    try {
      return await body();
    } finally {
      const used = process.cpuUsage(from);
      spent.us += used.user + used.system;
    }
  };
  const lookups = { us: 0 };
  const commits = { us: 0 };
  let found = 0;
  for (let start = 0, group = 0; start < events.length; start += IDS_PER_COMMIT, group++) {
    const fresh: RecordRef[] = [];
    for (let at = start; at < Math.min(start + IDS_PER_COMMIT, events.length); at += LOOKUP_BATCH) {
      const batch = events.slice(at, at + LOOKUP_BATCH);
      const delivered = await cpuOf(lookups, () => store.deliveredRecords(batch));
      found += delivered.size;
      for (const record of batch) if (!delivered.has(record.id)) fresh.push(record);
    }
    await cpuOf(commits, () => store.commit({ blobs: [], records: fresh, sinkCheckpoint: { offset: group }, at: new Date(NOW) }));
  }
  const after = await held();
  keptAlive.events = [];
  await cpuOf(commits, () => store.close());
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (found !== duplicates) throw new Error(`wrong answers: ${found} of ${duplicates} duplicates found`);
  const us = (value: number): string => ((value * 1000) / DEDUPE_EVENTS).toFixed(2);
  const perId = (bytes: number): string => (bytes / DEDUPE_EVENTS).toFixed(1);
  return (
    `dedupe of ${DEDUPE_EVENTS.toLocaleString("en-US")} new events (${duplicates.toLocaleString("en-US")} duplicates): ${us(ms)} µs/event wall, ${us((used.user + used.system) / 1000)} µs/event CPU of this process (lookups ${us(lookups.us / 1000)}, commits of ${IDS_PER_COMMIT.toLocaleString("en-US")} and the compaction at close ${us(commits.us / 1000)}); ${t(store)}\n` +
    `  held by the store once committed, per new id: ${perId(after.heap - before.heap)} bytes of V8 heap + ${perId(after.buffers - before.buffers)} bytes of buffers outside it`
  );
}

const t = (store: AzureBlobStateStore): string =>
  `${store.traffic.requests} requests, ${mb(store.traffic.bytesDownloaded)} MB down, ${mb(store.traffic.bytesUploaded)} MB up`;

const azurite = await startAzurite();
try {
  for (const ids of scenarios) {
    const container = await azurite.createContainer();
    const location = { kind: "azblob" as const, account: AZURITE_ACCOUNT, container, prefix: "", accountUrl: azurite.accountUrl, accountKey: AZURITE_KEY };
    const open = (now: number): AzureBlobStateStore =>
      createStateStore(location, { dedupeHorizonMs: HORIZON_MS, now: () => new Date(now) }) as AzureBlobStateStore;

    // History: `ids` record ids created evenly over the last 8 days, committed in creation order, and the ledger of
    // the blobs that held them (contentExpiration 7 days after contentCreated).
    let started = performance.now();
    const writer = open(NOW);
    await writer.open();
    const hours = 8 * 24;
    const perHour = Math.ceil(ids / hours);
    let blobIndex = 0;
    const recent: RecordRef[] = [];
    /** The ledger entries of the last 24 hours, as a listing of the overlap shows them. */
    const listing: Array<{ contentId: string; contentExpiration: string }> = [];
    for (let hour = ids === 0 ? 0 : hours; hour > 0; hour--) {
      const created = NOW - hour * HOUR;
      for (let start = 0; start < perHour; start += IDS_PER_COMMIT) {
        const records: RecordRef[] = Array.from({ length: Math.min(IDS_PER_COMMIT, perHour - start) }, () => ({ id: guid(), creationTime: hourOf(created) }));
        if (hour <= 2 && recent.length < DEDUPE_EVENTS) recent.push(...records.slice(0, DEDUPE_EVENTS - recent.length));
        const blobs: BlobCommit[] = [
          {
            contentType: "Audit.Exchange",
            contentId: `blob-${blobIndex++}`,
            contentExpiration: new Date(created + 7 * 24 * HOUR).toISOString(),
            records,
            outcome: "delivered",
            keepUntil: new Date(created + 7 * 24 * HOUR).toISOString(),
          },
        ];
        for (let extra = 1; extra < BLOBS_PER_HOUR && start === 0; extra++) {
          blobs.push({
            contentType: "Audit.Exchange",
            contentId: `blob-${blobIndex++}`,
            contentExpiration: new Date(created + 7 * 24 * HOUR + extra * 1000).toISOString(),
            records: [],
            outcome: "delivered",
            keepUntil: new Date(created + 7 * 24 * HOUR).toISOString(),
          });
        }
        await writer.commit({ blobs, sinkCheckpoint: { offset: blobIndex }, at: new Date(created) });
        if (hour <= 24) listing.push(...blobs.map(({ contentId, contentExpiration }) => ({ contentId, contentExpiration })));
        sample();
      }
    }
    await writer.close();
    const historyMs = performance.now() - started;
    const stored = writer.traffic.bytesUploaded;
    let indexBytes = 0;
    let ledgerBytes = 0;
    for await (const blob of azurite.service.getContainerClient(container).listBlobsFlat({ prefix: "parts/" })) {
      if (blob.name.startsWith("parts/r/")) indexBytes += blob.properties.contentLength ?? 0;
      else ledgerBytes += blob.properties.contentLength ?? 0;
    }

    // A run with nothing new: open, look up the overlap's listing in the ledger (24 h of blobs, all committed),
    // commit the cursors, prune, close.
    const cursor = { origin: new Date(NOW - HORIZON_MS).toISOString(), listedThrough: new Date(NOW).toISOString(), subscriptionStartedAt: null };
    const idle = async (): Promise<{ store: AzureBlobStateStore; ms: number; committed: number }> => {
      const store = open(NOW);
      const begun = performance.now();
      await store.open();
      const committed = (await store.committedBlobs(listing)).size;
      await store.commit({ blobs: [], cursors: { "Audit.Exchange": cursor }, at: new Date(NOW) });
      await store.prune(new Date(NOW));
      await store.close();
      return { store, ms: performance.now() - begun, committed };
    };
    if (ids === 0) {
      console.log(`state-blob: empty state`);
      console.log(`  ${await dedupeCost(open, recent)}`);
      await azurite.service.getContainerClient(container).delete();
      continue;
    }
    const nothing = await idle();

    // A run with 5 minutes of new work: the same, plus NEW_RECORDS new records (and 10 duplicates of old ones) in
    // 10 new blobs, their lookups and one commit.
    const busy = open(NOW);
    started = performance.now();
    await busy.open();
    await busy.committedBlobs(listing);
    const fresh: RecordRef[] = Array.from({ length: NEW_RECORDS }, (_, index) => ({ id: guid(), creationTime: hourOf(NOW - (index % 2) * HOUR - HOUR) }));
    const found = (await busy.deliveredRecords(fresh)).size;
    const blobs: BlobCommit[] = Array.from({ length: 10 }, (_, index) => ({
      contentType: "Audit.General",
      contentId: `new-${index}`,
      contentExpiration: new Date(NOW + 7 * 24 * HOUR).toISOString(),
      records: fresh.slice(index * (NEW_RECORDS / 10), (index + 1) * (NEW_RECORDS / 10)),
      outcome: "delivered",
      keepUntil: new Date(NOW + 7 * 24 * HOUR).toISOString(),
    }));
    await busy.commit({ blobs, sinkCheckpoint: { offset: -1 }, at: new Date(NOW) });
    await busy.commit({ blobs: [], cursors: { "Audit.Exchange": cursor }, at: new Date(NOW) });
    await busy.prune(new Date(NOW));
    await busy.close();
    const busyMs = performance.now() - started;
    if (nothing.committed !== listing.length || found !== 0)
      throw new Error(`wrong answers: ${nothing.committed}/${listing.length} blobs committed, ${found} new records found`);

    const again = open(NOW);
    await again.open();
    if ((await again.deliveredRecords(fresh)).size !== NEW_RECORDS) throw new Error("the new records were not found after the run");
    await again.close();

    console.log(
      `state-blob: ${ids.toLocaleString("en-US")} ids in the horizon (${hours} hour partitions, ${blobIndex.toLocaleString("en-US")} ledger entries): written in ${(historyMs / 1000).toFixed(1)} s (${mb(stored)} MB uploaded, compactions included); stored: record index ${mb(indexBytes)} MB = ${(indexBytes / ids).toFixed(1)} bytes per id, ledger ${mb(ledgerBytes)} MB`,
    );
    console.log(`  run with nothing new:  ${t(nothing.store)}, ${nothing.ms.toFixed(0)} ms`);
    console.log(`  run with ${NEW_RECORDS.toLocaleString("en-US")} new records: ${t(busy)}, ${busyMs.toFixed(0)} ms`);
    console.log(`  ${await dedupeCost(open, recent)}`);
    await azurite.service.getContainerClient(container).delete();
  }
  console.log(`state-blob: peak RSS of the bench process ${mb(peakRss)} MB`);
} finally {
  clearInterval(sampler);
  await azurite.close();
}
