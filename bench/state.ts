// Throughput of the SQLite state store and the file sink. Run: node bench/state.ts
// Prints figures; asserts nothing (timings belong here, not in tests).
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSink } from "../collector/src/sinks/file/file-sink.ts";
import type { OutboundRecord } from "../collector/src/sinks/sink.ts";
import { SqliteStateStore } from "../collector/src/state/sqlite-store.ts";
import type { BlobCommit } from "../collector/src/state/store.ts";

const RECORD_IDS = 1_000_000;
const IDS_PER_COMMIT = 5_000;
const SMALL_COMMITS = 300;
const SINK_RECORDS = 500_000;
const SINK_RECORDS_PER_FLUSH = 5_000;

const root = mkdtempSync(join(tmpdir(), "auditfeed-bench-state-"));
const rate = (count: number, ms: number): string => Math.round((count * 1000) / ms).toLocaleString("en-US");
let peakRss = 0;
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
};

function blob(index: number, recordIds: string[]): BlobCommit {
  const records = recordIds.map((id) => ({ id, creationTime: null }));
  return {
    contentType: "Audit.Exchange",
    contentId: `content-${index}`,
    contentExpiration: "2999-01-01T00:00:00.000Z",
    keepUntil: "2999-01-01T00:00:00.000Z",
    records,
    outcome: "delivered",
  };
}

async function benchStore(): Promise<void> {
  const path = join(root, "state", "state.sqlite");
  const store = new SqliteStateStore({ path, dedupeHorizonMs: 86_400_000 });
  await store.open();
  const ids = Array.from({ length: RECORD_IDS }, () => randomUUID());

  let started = performance.now();
  for (let start = 0, index = 0; start < ids.length; start += IDS_PER_COMMIT, index++) {
    await store.commit({ blobs: [blob(index, ids.slice(start, start + IDS_PER_COMMIT))], sinkCheckpoint: { segment: 1, offset: start }, at: new Date() });
    sampleRss();
  }
  let ms = performance.now() - started;
  console.log(
    `state: ${RECORD_IDS.toLocaleString("en-US")} record ids in ${RECORD_IDS / IDS_PER_COMMIT} commits of ${IDS_PER_COMMIT}: ${rate(RECORD_IDS, ms)} ids/s, ${rate(RECORD_IDS / IDS_PER_COMMIT, ms)} commits/s`,
  );

  started = performance.now();
  for (let index = 0; index < SMALL_COMMITS; index++) {
    await store.commit({ blobs: [blob(1_000_000 + index, [randomUUID(), randomUUID()])], sinkCheckpoint: { segment: 1, offset: index }, at: new Date() });
  }
  ms = performance.now() - started;
  console.log(`state: small commits (1 blob, 2 ids, fsync each): ${rate(SMALL_COMMITS, ms)} commits/s, ${(ms / SMALL_COMMITS).toFixed(2)} ms each`);

  const probes = ids.filter((_, i) => i % 2 === 0).concat(Array.from({ length: RECORD_IDS / 2 }, () => randomUUID()));
  started = performance.now();
  let hits = 0;
  for (let start = 0; start < probes.length; start += 10_000) {
    hits += (await store.deliveredRecords(probes.slice(start, start + 10_000).map((id) => ({ id, creationTime: null })))).size;
    sampleRss();
  }
  ms = performance.now() - started;
  console.log(`state: dedupe lookups against 1M ids (half hits, batches of 10,000): ${rate(probes.length, ms)} ids/s (${hits.toLocaleString("en-US")} hits)`);

  await store.close();
  console.log(
    `state: file size with 1M ids: ${(statSync(path).size / 1024 / 1024).toFixed(1)} MiB (${Math.round(statSync(path).size / RECORD_IDS)} bytes per id, with ledger and expiry index)`,
  );

  const reopened = new SqliteStateStore({ path, dedupeHorizonMs: 86_400_000 });
  started = performance.now();
  await reopened.open();
  console.log(`state: open: ${(performance.now() - started).toFixed(1)} ms`);
  started = performance.now();
  const pruned = await reopened.prune(new Date(Date.now() + 2 * 86_400_000));
  console.log(`state: prune of ${pruned.records.toLocaleString("en-US")} ids: ${(performance.now() - started).toFixed(0)} ms`);
  await reopened.close();
}

async function benchFileSink(): Promise<void> {
  const sink = new FileSink({ directory: join(root, "out"), rotateBytes: 64 * 1024 * 1024 });
  await sink.open(null);
  const pad = "x".repeat(300);
  let bytes = 0;
  const started = performance.now();
  for (let start = 0; start < SINK_RECORDS; start += SINK_RECORDS_PER_FLUSH) {
    const batch: OutboundRecord[] = [];
    for (let i = start; i < start + SINK_RECORDS_PER_FLUSH; i++) {
      const json = JSON.stringify({ Id: randomUUID(), CreationTime: "2024-05-01T00:00:00", Operation: "FileAccessed", pad });
      bytes += json.length + 1;
      batch.push({ id: String(i), contentType: "Audit.SharePoint", json, creationTime: "2024-05-01T00:00:00.000Z" });
    }
    await sink.write(batch);
    await sink.flush();
    sampleRss();
  }
  const ms = performance.now() - started;
  await sink.close();
  console.log(
    `file sink: ${SINK_RECORDS.toLocaleString("en-US")} records, ${(bytes / 1024 / 1024).toFixed(0)} MiB, flush (fdatasync) every ${SINK_RECORDS_PER_FLUSH}: ${(((bytes / 1024 / 1024) * 1000) / ms).toFixed(0)} MiB/s, ${rate(SINK_RECORDS, ms)} records/s (incl. building the records)`,
  );
}

try {
  await benchStore();
  await benchFileSink();
  console.log(`peak RSS: ${(peakRss / 1024 / 1024).toFixed(0)} MiB (the benchmark holds 1M ids itself, and V8 collects lazily)`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
