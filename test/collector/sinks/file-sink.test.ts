import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditfeedError } from "../../../collector/src/errors.ts";
import { FileSink, SPILL_BYTES } from "../../../collector/src/sinks/file/file-sink.ts";
import type { OutboundRecord, SinkCheckpoint } from "../../../collector/src/sinks/sink.ts";

let root: string;
let directory: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "auditfeed-file-sink-"));
  directory = join(root, "out");
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

/** Padding that makes 30 records more than one spill's worth, so that they reach the disk before the flush. */
const SPILLING = Math.ceil(SPILL_BYTES / 30) + 1_000;

function records(prefix: string, count: number, padding = 0): OutboundRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    contentType: "Audit.General",
    json: JSON.stringify({ Id: `${prefix}-${i}`, pad: "x".repeat(padding) }),
    creationTime: null,
  }));
}

/** Ids of every line of every segment, in segment order. */
function delivered(): string[] {
  return segments().flatMap((name) =>
    readFileSync(join(directory, name), "utf8")
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => (JSON.parse(line) as { Id: string }).Id),
  );
}

function segments(): string[] {
  return readdirSync(directory)
    .filter((name) => name.endsWith(".ndjson"))
    .sort();
}

function ids(...groups: OutboundRecord[][]): string[] {
  return groups.flat().map((record) => record.id);
}

async function caught(promise: Promise<unknown>): Promise<AuditfeedError> {
  return (await promise.then(
    () => undefined,
    (error: unknown) => error,
  )) as AuditfeedError;
}

/** A flush and its state commit, acknowledged to the sink, as the collector does. */
async function commit(sink: FileSink): Promise<SinkCheckpoint> {
  const checkpoint = await sink.flush();
  await sink.committed(checkpoint);
  return checkpoint;
}

async function opened(checkpoint: SinkCheckpoint | null, rotateBytes = 1 << 20): Promise<FileSink> {
  const sink = new FileSink({ directory, rotateBytes });
  await sink.open(checkpoint);
  return sink;
}

describe("FileSink", () => {
  it("should write one record per line and return the position after them", async () => {
    const sink = await opened(null);
    const start = await sink.flush();
    expect(start).toMatchObject({ segment: 1, offset: 0, sequence: 0 });
    const batch = records("a", 3);
    await sink.write(batch);
    const checkpoint = await sink.flush();
    const expected = batch.map((record) => `${record.json}\n`).join("");
    expect(checkpoint).toEqual({ segment: 1, offset: Buffer.byteLength(expected), sink: start.sink, sequence: 1 });
    expect(await sink.flush()).toEqual(checkpoint);
    expect(readFileSync(join(directory, "auditfeed-000001.ndjson"), "utf8")).toBe(expected);
  });

  it("should cut the one flush a crash left uncommitted, and what was written after it, when opened at the last commit", async () => {
    const sink = await opened(null, 100);
    const committed = records("a", 5);
    await sink.write(committed);
    const checkpoint = await commit(sink);
    // Flushed but never committed (the process died before the state commit), then more spilled to disk unflushed.
    await sink.write(records("b", 5));
    await sink.flush();
    await sink.write(records("c", 30, SPILLING));
    expect(segments()).toEqual(["auditfeed-000001.ndjson", "auditfeed-000002.ndjson", "auditfeed-000003.ndjson"]);

    const restarted = await opened(checkpoint, 100);
    expect(segments()).toEqual(["auditfeed-000001.ndjson"]);
    expect(delivered()).toEqual(ids(committed));
    const next = records("d", 2);
    await restarted.write(next);
    expect(await restarted.flush()).toMatchObject({ segment: 2, sequence: 2 });
    expect(delivered()).toEqual(ids(committed, next));
  });

  it("should cut what was written after the last flush when the state committed that flush", async () => {
    const sink = await opened(null);
    const committed = records("a", 5);
    await sink.write(committed);
    const checkpoint = await sink.flush();
    await sink.write(records("b", 30, SPILLING));
    const restarted = await opened(checkpoint);
    expect(delivered()).toEqual(ids(committed));
    await restarted.write(records("c", 1));
    expect(await restarted.flush()).toMatchObject({ sequence: 2 });
  });

  it("should rotate only at flush boundaries, once a segment reaches rotateBytes", async () => {
    const sink = await opened(null, 300);
    const groups = [records("a", 3, 50), records("b", 3, 50), records("c", 1), records("d", 3, 50)];
    const checkpoints: SinkCheckpoint[] = [];
    for (const group of groups) {
      await sink.write(group.slice(0, 1));
      await sink.write(group.slice(1));
      checkpoints.push(await sink.flush());
    }
    expect(checkpoints.map((checkpoint) => checkpoint.segment)).toEqual([1, 1, 2, 2]);
    expect(segments()).toEqual(["auditfeed-000001.ndjson", "auditfeed-000002.ndjson"]);
    expect(delivered()).toEqual(ids(...groups));
    const firstLines = readFileSync(join(directory, "auditfeed-000001.ndjson"), "utf8").trimEnd().split("\n");
    expect(firstLines.map((line) => (JSON.parse(line) as { Id: string }).Id)).toEqual(ids(groups[0] ?? [], groups[1] ?? []));
  });

  it("should drop what was written since the last flush on discard, including data already spilled to disk", async () => {
    const sink = await opened(null);
    const kept = records("a", 2);
    await sink.write(kept);
    await sink.flush();
    await sink.write(records("big", 30, SPILLING));
    await sink.discard();
    const after = records("b", 2);
    await sink.write(after);
    await sink.flush();
    expect(delivered()).toEqual(ids(kept, after));
  });

  it("should roll back to the last savepoint only, keeping the complete blobs before it for the flush", async () => {
    const sink = await opened(null);
    const first = records("good-1", 3);
    const second = records("good-2", 2);
    await sink.write(first);
    await sink.savepoint();
    await sink.write(second);
    await sink.savepoint();
    await sink.write(records("bad", 4));
    await sink.rollback();
    const after = records("good-3", 1);
    await sink.write(after);
    await sink.savepoint();
    await sink.flush();
    expect(delivered()).toEqual(ids(first, second, after));
  });

  it("should roll back bytes already spilled to disk past the savepoint, whether or not its lines were spilled too", async () => {
    const sink = await opened(null);
    const kept = records("kept", 3);
    await sink.write(kept);
    await sink.savepoint();
    // About 1.2 MB: more than the sink keeps in memory, so part of it (and the kept lines) is already in the file.
    await sink.write(records("bad", 30, SPILLING));
    await sink.rollback();
    // Cut at once, not at the next write: a reader of the active segment never sees what was taken back.
    expect(delivered()).toEqual(ids(kept));
    await sink.flush();
    expect(delivered()).toEqual(ids(kept));
    const spilledFirst = records("spilled", 30, SPILLING);
    await sink.write(spilledFirst);
    await sink.savepoint();
    await sink.write(records("bad-2", 30, SPILLING));
    await sink.rollback();
    const last = records("last", 1);
    await sink.write(last);
    await sink.flush();
    expect(delivered()).toEqual(ids(kept, spilledFirst, last));
  });

  it("should undo a rotation on rollback, removing the segment it had started", async () => {
    const sink = await opened(null, 10);
    const kept = records("a", 1);
    await sink.write(kept);
    await sink.flush();
    await sink.write(records("big", 30, SPILLING));
    expect(segments()).toEqual(["auditfeed-000001.ndjson", "auditfeed-000002.ndjson"]);
    await sink.rollback();
    expect(segments()).toEqual(["auditfeed-000001.ndjson"]);
    const after = records("b", 1);
    await sink.write(after);
    expect(await sink.flush()).toMatchObject({ segment: 2 });
    expect(delivered()).toEqual(ids(kept, after));
  });

  it("should roll back to the last flush when no savepoint was marked after it", async () => {
    const sink = await opened(null);
    const kept = records("a", 2);
    await sink.write(kept);
    await sink.savepoint();
    await sink.flush();
    await sink.write(records("bad", 2));
    await sink.rollback();
    await sink.flush();
    expect(delivered()).toEqual(ids(kept));
  });

  it("should undo a rotation on discard", async () => {
    const sink = await opened(null, 10);
    const kept = records("a", 1);
    await sink.write(kept);
    await sink.flush();
    await sink.write(records("big", 30, SPILLING));
    await sink.discard();
    await sink.flush();
    const after = records("b", 1);
    await sink.write(after);
    expect(await sink.flush()).toMatchObject({ segment: 2 });
    expect(delivered()).toEqual(ids(kept, after));
  });

  it("should refuse to start without a checkpoint where segments hold data, and remove empty ones", async () => {
    const first = await opened(null);
    await first.write(records("a", 1));
    await first.flush();
    const error = await caught(opened(null));
    expect(error.code).toBe("AF_ERR_SINK_REJECTED");
    expect(error.message).toContain(`${directory} already holds 1 segment(s) with data (auditfeed-000001.ndjson)`);
    expect(error.message).toContain("Move them out of the directory");
    expect(existsSync(join(directory, "auditfeed-000001.ndjson"))).toBe(true);

    rmSync(directory, { recursive: true });
    const empty = await opened(null);
    await empty.write([]);
    await empty.flush();
    expect(segments()).toEqual([]);
    writeFileSync(join(directory, "auditfeed-000004.ndjson"), "");
    await opened(null);
    expect(segments()).toEqual([]);
  });

  it("should report a segment that something else appended to, instead of writing on", async () => {
    const sink = await opened(null);
    await sink.write(records("a", 1));
    await sink.flush();
    appendFileSync(join(directory, "auditfeed-000001.ndjson"), "intruder\n");
    await sink.write(records("b", 1));
    const error = await caught(sink.flush());
    expect(error.code).toBe("AF_ERR_SINK_REJECTED");
    expect(error.retryable).toBe(false);
    expect(error.message).toMatch(/auditfeed-000001\.ndjson holds \d+ bytes where auditfeed expected \d+/);
    await sink.discard();
    await sink.write(records("b", 1));
    await expect(sink.flush()).rejects.toMatchObject({ code: "AF_ERR_SINK_REJECTED" });
  });

  it("should report committed data that is missing at open", async () => {
    await expect(opened({ segment: 3, offset: 10 })).rejects.toMatchObject({ code: "AF_ERR_STATE_MISMATCH", retryable: false });
    await expect(opened({ cursor: "abc" })).rejects.toThrow(/is not a file sink position/);
  });

  it("should refuse a record whose JSON has a line break", async () => {
    const sink = await opened(null);
    await expect(sink.write([{ id: "x", contentType: "Audit.General", json: '{"a":\n1}', creationTime: null }])).rejects.toThrow(/record x has a line break/);
  });

  it("should fail retryably while the directory is replaced by a file, then deliver everything once after it is restored", async () => {
    const sink = await opened(null);
    const before = records("a", 3);
    await sink.write(before);
    await sink.flush();

    // A spill lands in the directory, which then moves away: the flush must not follow it.
    await sink.write(records("lost", 30, SPILLING));
    renameSync(directory, `${directory}.away`);
    writeFileSync(directory, "not a directory");
    const during = records("b", 3);
    for (let attempt = 0; attempt < 3; attempt++) {
      await sink.write(during);
      const error = await caught(sink.flush());
      expect(error.code).toBe("AF_ERR_SINK_UNAVAILABLE");
      expect(error.retryable).toBe(true);
      expect(error.message).toContain("ENOTDIR");
      await sink.discard();
    }

    rmSync(directory);
    renameSync(`${directory}.away`, directory);
    await sink.write(during);
    await sink.flush();
    expect(delivered()).toEqual(ids(before, during));
  });

  it("should recover by reopening at the committed checkpoint after an outage, as the collector does", async () => {
    const sink = await opened(null);
    const before = records("a", 3);
    await sink.write(before);
    const checkpoint = await sink.flush();
    await sink.write(records("uncommitted", 3));
    await sink.flush();
    renameSync(directory, `${directory}.away`);
    writeFileSync(directory, "not a directory");
    await sink.close();
    await expect(sink.open(checkpoint)).rejects.toMatchObject({ code: "AF_ERR_SINK_UNAVAILABLE", retryable: true });
    rmSync(directory);
    renameSync(`${directory}.away`, directory);
    await sink.open(checkpoint);
    const after = records("b", 2);
    await sink.write(after);
    await sink.flush();
    expect(delivered()).toEqual(ids(before, after));
  });
});
