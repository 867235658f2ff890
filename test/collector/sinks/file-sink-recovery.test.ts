import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditfeedError } from "../../../collector/src/errors.ts";
import { MARKER_NAME } from "../../../collector/src/sinks/file/commit-marker.ts";
import { FileSink } from "../../../collector/src/sinks/file/file-sink.ts";
import type { OutboundRecord, SinkCheckpoint } from "../../../collector/src/sinks/sink.ts";

// Issue 7, item 8: recovery removes only bytes it can prove were written after the last commit. A state that does
// not belong to the folder (restored from a backup, another volume) is refused, and nothing is deleted.

let root: string;
let directory: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "auditfeed-recovery-"));
  directory = join(root, "out");
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function records(prefix: string, count: number): OutboundRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${i}`,
    contentType: "Audit.General",
    json: JSON.stringify({ Id: `${prefix}-${i}` }),
    creationTime: null,
  }));
}

async function opened(checkpoint: SinkCheckpoint | null, folder = directory): Promise<FileSink> {
  const sink = new FileSink({ directory: folder, rotateBytes: 100 });
  await sink.open(checkpoint);
  return sink;
}

/** Writes a group, flushes it and "commits" it the way the collector does: the flush, then the acknowledgement. */
async function deliver(sink: FileSink, prefix: string): Promise<SinkCheckpoint> {
  await sink.write(records(prefix, 5));
  const checkpoint = await sink.flush();
  await sink.committed(checkpoint);
  return checkpoint;
}

/** Every file of a folder with its bytes: what "nothing was changed" is checked against. */
function contents(folder = directory): Record<string, string> {
  return Object.fromEntries(
    readdirSync(folder)
      .sort()
      .map((name) => [name, readFileSync(join(folder, name), "utf8")]),
  );
}

async function refusal(promise: Promise<unknown>): Promise<AuditfeedError> {
  const error = (await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as AuditfeedError | undefined;
  expect(error, "open should have been refused").toBeDefined();
  return error as AuditfeedError;
}

describe("FileSink recovery against a state that does not belong to the folder", () => {
  it("should refuse a state several commits older than the folder, and delete nothing", async () => {
    const sink = await opened(null);
    await sink.committed(await sink.flush());
    const restored = await deliver(sink, "a");
    for (const prefix of ["b", "c", "d", "e"]) await deliver(sink, prefix);
    const before = contents();
    expect(Object.keys(before).filter((name) => name.endsWith(".ndjson")).length).toBeGreaterThan(2);

    const error = await refusal(opened(restored));
    expect(error).toMatchObject({ code: "AF_ERR_STATE_MISMATCH", retryable: false });
    expect(error.message).toContain(directory);
    expect(error.message).toContain("nothing in it was changed");
    expect(error.message).toMatch(/this state is older than the folder/);
    expect(error.message).toContain("Use the state file that wrote this folder");
    expect(contents()).toEqual(before);
  });

  it("should refuse a state exactly one commit older once that later commit was acknowledged", async () => {
    const sink = await opened(null);
    const restored = await deliver(sink, "a");
    await deliver(sink, "b");
    const before = contents();
    const error = await refusal(opened(restored));
    expect(error.message).toMatch(/holds flush 2, and commit 2 was acknowledged/);
    expect(contents()).toEqual(before);
  });

  it("should refuse a folder restored from before the state's last commit (committed output is missing)", async () => {
    const sink = await opened(null);
    await deliver(sink, "a");
    const backup = join(root, "backup");
    cpSync(directory, backup, { recursive: true });
    const latest = await deliver(sink, "b");
    rmSync(directory, { recursive: true });
    cpSync(backup, directory, { recursive: true });
    const before = contents();
    const error = await refusal(opened(latest));
    expect(error.code).toBe("AF_ERR_STATE_MISMATCH");
    expect(error.message).toMatch(/the folder is older than the state/);
    expect(contents()).toEqual(before);
  });

  it("should refuse the state of another sink folder, and a folder without a marker", async () => {
    const other = join(root, "other");
    const foreign = await deliver(await opened(null, other), "x");
    const sink = await opened(null);
    await deliver(sink, "a");
    const before = contents();
    expect((await refusal(opened(foreign))).message).toMatch(/the state belongs to sink folder [0-9a-f-]{36}, but this folder is [0-9a-f-]{36}/);
    expect(contents()).toEqual(before);

    rmSync(join(other, MARKER_NAME));
    const unmarked = contents(other);
    expect((await refusal(opened(foreign, other))).message).toContain(`this folder has no ${MARKER_NAME}`);
    expect(contents(other)).toEqual(unmarked);
  });

  it("should refuse data past a checkpoint written before flushes were numbered, and open one with nothing past it", async () => {
    const sink = await opened(null);
    await deliver(sink, "a");
    const legacy = { segment: 1, offset: statSync(join(directory, "auditfeed-000001.ndjson")).size };
    rmSync(join(directory, MARKER_NAME));
    await refusal(opened({ segment: 1, offset: 10 }));
    expect(readFileSync(join(directory, "auditfeed-000001.ndjson"), "utf8").length).toBe(legacy.offset);

    const upgraded = await opened(legacy);
    expect(await deliver(upgraded, "b")).toMatchObject({ sequence: 1 });
  });

  it("should write owner-only segments and marker in an owner-only folder", async () => {
    await deliver(await opened(null), "a");
    expect(statSync(directory).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(directory)) expect(statSync(join(directory, name)).mode & 0o777, name).toBe(0o600);
  });
});
