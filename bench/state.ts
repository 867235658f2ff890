// The SQLite state store's dedupe index with history, and the file sink. Run: node bench/state.ts [ids...]
// (default: 0 1000000; `node bench/state.ts 10000000` for the 10 M figure, about 2 minutes of writing history).
// Prints figures; asserts only that the answers are right (timings belong here, not in tests).
import { randomBytes, randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { FileSink } from "../collector/src/sinks/file/file-sink.ts";
import type { OutboundRecord } from "../collector/src/sinks/sink.ts";
import { SqliteStateStore } from "../collector/src/state/sqlite-store.ts";
import type { RecordRef } from "../collector/src/state/store.ts";

const HOUR = 3_600_000;
const HORIZON_MS = 8 * 24 * HOUR;
const NOW = Date.parse("2026-11-20T12:00:00Z");
/** Ids per commit, as the collector's default group size. */
const IDS_PER_COMMIT = 50_000;
/** Ids per lookup, as the collector's batches from one blob. */
const IDS_PER_LOOKUP = 1_000;
/** New events of the measured run: CreationTimes in the last 2 hours, 1 % of them duplicates of that history. */
const NEW_EVENTS = 200_000;
const SINK_RECORDS = 500_000;
const SINK_RECORDS_PER_FLUSH = 5_000;

// State and output on the real disk (the repository's ignored .tmp folder), never a tmpfs: fsync is part of the cost.
mkdirSync(join(import.meta.dirname, "..", ".tmp"), { recursive: true });
const root = mkdtempSync(join(import.meta.dirname, "..", ".tmp", "bench-state-"));
const rate = (count: number, ms: number): string => Math.round((count * 1000) / ms).toLocaleString("en-US");
const guid = (): string => {
  const hex = randomBytes(16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
};
const creationTime = (ms: number): string => new Date(ms).toISOString().slice(0, 19);
const cpuOf = (since: NodeJS.CpuUsage): number => {
  const { user, system } = process.cpuUsage(since);
  return (user + system) / 1000;
};
let peakRss = 0;
const sampleRss = (): void => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
};

/**
 * `history` ids created evenly over the 8-day horizon up to 2 hours ago and committed in creation order, then a run's
 * worth of new events of the last 2 hours looked up (in batches, as delivery does) and committed (in groups, fsync
 * each): µs per event of each part. 1 % of the new events repeat ids of the history's last 2 hours (a duplicate has
 * its original's CreationTime, so those lookups go to old partitions). What the history adds is what a run pays for
 * the ids it keeps; writing into an hour that already holds many ids (a busy tenant's current hour) is another
 * matter: see docs/performance.md.
 */
async function benchIndex(history: number, print = true): Promise<void> {
  const path = join(mkdtempSync(join(root, "state-")), "state.sqlite");
  const store = new SqliteStateStore({ path, dedupeHorizonMs: HORIZON_MS, now: () => new Date(NOW) });
  await store.open();
  const hours = 8 * 24 - 2;
  const perHour = Math.ceil(history / hours);
  /** Ids of the last 2 hours of history: the measured run's duplicates come from them. */
  const recent: RecordRef[] = [];
  let started = performance.now();
  let pending: RecordRef[] = [];
  let written = 0;
  for (let hour = hours + 2; hour > 2 && written < history; hour--) {
    for (let i = 0; i < perHour && written < history; i++, written++) {
      const record = { id: guid(), creationTime: creationTime(NOW - hour * HOUR + ((i * 3_600) % HOUR)) };
      pending.push(record);
      if (hour <= 4 && recent.length < NEW_EVENTS) recent.push(record);
      if (pending.length === IDS_PER_COMMIT) {
        await store.commit({ blobs: [], records: pending, at: new Date(NOW - hour * HOUR) });
        pending = [];
        sampleRss();
      }
    }
  }
  if (pending.length > 0) await store.commit({ blobs: [], records: pending, at: new Date(NOW - 3 * HOUR) });
  const historyMs = performance.now() - started;
  await store.close();
  const bytes = statSync(path).size;

  const reopened = new SqliteStateStore({ path, dedupeHorizonMs: HORIZON_MS, now: () => new Date(NOW) });
  started = performance.now();
  await reopened.open();
  const openMs = performance.now() - started;
  const duplicates = history === 0 ? 0 : NEW_EVENTS / 100;
  const events: RecordRef[] = Array.from({ length: NEW_EVENTS }, (_, i) =>
    i % 100 === 0 && duplicates > 0
      ? (recent[(i / 100) % recent.length] as RecordRef)
      : { id: guid(), creationTime: creationTime(NOW - 2 * HOUR + ((i * 37_000) % (2 * HOUR))) },
  );
  let lookupMs = 0;
  let commitMs = 0;
  let cpuMs = 0;
  let found = 0;
  for (let start = 0; start < events.length; start += IDS_PER_COMMIT) {
    const group = events.slice(start, start + IDS_PER_COMMIT);
    const fresh: RecordRef[] = [];
    for (let at = 0; at < group.length; at += IDS_PER_LOOKUP) {
      const batch = group.slice(at, at + IDS_PER_LOOKUP);
      const begun = performance.now();
      const cpu = process.cpuUsage();
      const delivered = await reopened.deliveredRecords(batch);
      lookupMs += performance.now() - begun;
      cpuMs += cpuOf(cpu);
      found += delivered.size;
      for (const record of batch) if (!delivered.has(record.id)) fresh.push(record);
    }
    const begun = performance.now();
    const cpu = process.cpuUsage();
    await reopened.commit({ blobs: [], records: fresh, sinkCheckpoint: { offset: start }, at: new Date(NOW) });
    commitMs += performance.now() - begun;
    cpuMs += cpuOf(cpu);
    sampleRss();
  }
  if (found !== duplicates) throw new Error(`wrong answers: ${found} of ${duplicates} duplicates found`);
  started = performance.now();
  const pruned = await reopened.prune(new Date(NOW + HORIZON_MS - 22 * HOUR));
  const pruneMs = performance.now() - started;
  await reopened.close();

  const us = (ms: number): string => ((ms * 1000) / NEW_EVENTS).toFixed(2);
  if (!print) return;
  console.log(
    `state (SQLite): ${history.toLocaleString("en-US")} ids in the horizon: ${history === 0 ? "-" : `${(bytes / history).toFixed(1)} bytes per id`} (file ${(bytes / 1e6).toFixed(1)} MB), history written at ${history === 0 ? "-" : rate(history, historyMs)} ids/s, open ${openMs.toFixed(0)} ms`,
  );
  console.log(
    `  ${NEW_EVENTS.toLocaleString("en-US")} new events (${duplicates.toLocaleString("en-US")} duplicates): dedupe ${us(lookupMs + commitMs)} µs/event = lookup ${us(lookupMs)} + commit ${us(commitMs)}, CPU ${us(cpuMs)} µs/event (groups of ${IDS_PER_COMMIT.toLocaleString("en-US")}, fsync each); prune of ${pruned.records.toLocaleString("en-US")} ids in ${pruneMs.toFixed(0)} ms`,
  );
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

const sizes = process.argv.slice(2).map(Number);
try {
  // A first pass unmeasured, so that the first figure does not include compiling the code.
  await benchIndex(0, false);
  for (const history of sizes.length > 0 ? sizes : [0, 1_000_000]) await benchIndex(history);
  if (sizes.length === 0) await benchFileSink();
  console.log(`peak RSS: ${(peakRss / 1024 / 1024).toFixed(0)} MiB (the benchmark holds the run's events itself)`);
} finally {
  rmSync(root, { recursive: true, force: true });
}
