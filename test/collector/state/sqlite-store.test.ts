import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditfeedError } from "../../../collector/src/errors.ts";
import { SqliteStateStore } from "../../../collector/src/state/sqlite-store.ts";
import type { BlobCommit } from "../../../collector/src/state/store.ts";

const HOUR = 3_600_000;
const FUTURE = "2999-01-01T00:00:00.000Z";
const GUID_A = "5c1f2e3d-0000-4000-8000-00000000000a";
const GUID_B = "5c1f2e3d-0000-4000-8000-00000000000b";

function blob(contentId: string, recordIds: string[], contentExpiration = FUTURE): BlobCommit {
  return { contentType: "Audit.Exchange", contentId, contentExpiration, recordIds, outcome: "delivered" };
}

let dir: string;
let stores: SqliteStateStore[];

function store(options: { now?: () => Date; path?: string } = {}): SqliteStateStore {
  const created = new SqliteStateStore({
    path: options.path ?? join(dir, "nested", "state.sqlite"),
    dedupeHorizonMs: HOUR,
    ...(options.now ? { now: options.now } : {}),
  });
  stores.push(created);
  return created;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "auditfeed-state-"));
  stores = [];
});

afterEach(async () => {
  for (const opened of stores) await opened.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("SqliteStateStore", () => {
  it("should create the file with its parent directories and start empty", async () => {
    await expect(store().open()).resolves.toEqual({ sinkCheckpoint: null, cursors: {} });
  });

  it("should persist blobs, record ids, cursors and the sink checkpoint across a reopen", async () => {
    const first = store();
    await first.open();
    const cursor = { origin: "2024-01-01T00:00:00.000Z", listedThrough: "2024-01-01T01:00:00.000Z", subscriptionStartedAt: null };
    await first.commit({
      blobs: [blob("c1", [GUID_A, "not-a-guid"])],
      sinkCheckpoint: { segment: 1, offset: 42 },
      cursors: { "Audit.Exchange": cursor },
      at: new Date(),
    });
    await first.close();

    const second = store();
    await expect(second.open()).resolves.toEqual({ sinkCheckpoint: { segment: 1, offset: 42 }, cursors: { "Audit.Exchange": cursor } });
    expect(await second.committedBlobs(["c1", "c2"])).toEqual(new Set(["c1"]));
    expect(await second.deliveredRecords([GUID_A, GUID_B, "not-a-guid", "other"])).toEqual(new Set([GUID_A, "not-a-guid"]));
  });

  it("should leave nothing of a commit that fails midway", async () => {
    const opened = store();
    await opened.open();
    await opened.commit({ blobs: [], sinkCheckpoint: { segment: 1, offset: 10 }, at: new Date() });
    const failing = opened.commit({
      blobs: [blob("c1", [GUID_A]), blob("c2", [GUID_B], "not a date")],
      sinkCheckpoint: { segment: 1, offset: 99 },
      at: new Date(),
    });
    await expect(failing).rejects.toThrow(/blob c2 has contentExpiration "not a date"/);
    expect(await opened.committedBlobs(["c1", "c2"])).toEqual(new Set());
    expect(await opened.deliveredRecords([GUID_A, GUID_B])).toEqual(new Set());
    await opened.close();
    await expect(store().open()).resolves.toMatchObject({ sinkCheckpoint: { segment: 1, offset: 10 } });
  });

  it("should keep the checkpoint when a commit omits it and clear it when the commit says null", async () => {
    const opened = store();
    await opened.open();
    await opened.commit({ blobs: [], sinkCheckpoint: { segment: 2, offset: 5 }, at: new Date() });
    await opened.commit({ blobs: [blob("c1", [])], at: new Date() });
    await opened.close();
    const reopened = store();
    expect((await reopened.open()).sinkCheckpoint).toEqual({ segment: 2, offset: 5 });
    await reopened.commit({ blobs: [], sinkCheckpoint: null, at: new Date() });
    await reopened.close();
    expect((await store().open()).sinkCheckpoint).toBeNull();
  });

  it("should dedupe record ids within the horizon and not after it", async () => {
    let now = new Date("2024-05-01T00:00:00.000Z");
    const opened = store({ now: () => now });
    await opened.open();
    await opened.commit({ blobs: [blob("c1", [GUID_A, "x-1"])], at: now });
    now = new Date(now.getTime() + HOUR - 1);
    expect(await opened.deliveredRecords([GUID_A, GUID_A.toUpperCase(), "x-1", "X-1"])).toEqual(new Set([GUID_A, GUID_A.toUpperCase(), "x-1"]));
    now = new Date(now.getTime() + 1);
    expect(await opened.deliveredRecords([GUID_A, "x-1"])).toEqual(new Set());
  });

  it("should keep an id that only looks like a GUID apart from the GUID it resembles", async () => {
    const opened = store();
    await opened.open();
    const nearGuid = `${GUID_A.slice(0, 35)}g`;
    await opened.commit({ blobs: [blob("c1", [nearGuid])], at: new Date() });
    expect(await opened.deliveredRecords([nearGuid, `${GUID_A.slice(0, 35)}0`])).toEqual(new Set([nearGuid]));
  });

  it("should answer lookups larger than one query chunk exactly", async () => {
    const opened = store();
    await opened.open();
    const ids = Array.from({ length: 1_234 }, (_, i) => `5c1f2e3d-0000-4000-8000-${i.toString(16).padStart(12, "0")}`);
    await opened.commit({
      blobs: [
        blob(
          "c1",
          ids.filter((_, i) => i % 3 === 0),
        ),
      ],
      at: new Date(),
    });
    const found = await opened.deliveredRecords(ids);
    expect(found).toEqual(new Set(ids.filter((_, i) => i % 3 === 0)));
    expect(await opened.committedBlobs(Array.from({ length: 1_001 }, (_, i) => (i === 1_000 ? "c1" : `other-${i}`)))).toEqual(new Set(["c1"]));
  });

  it("should prune ledger entries past their expiration and record ids past the horizon", async () => {
    const at = new Date("2024-05-01T00:00:00.000Z");
    const opened = store({ now: () => at });
    await opened.open();
    await opened.commit({ blobs: [blob("soon", [GUID_A], "2024-05-01T00:30:00.000Z"), blob("later", [GUID_B], "2024-05-08T00:00:00.000Z")], at });
    expect(await opened.prune(new Date("2024-05-01T00:29:59.999Z"))).toEqual({ blobs: 0, records: 0 });
    expect(await opened.prune(new Date("2024-05-01T00:30:00.000Z"))).toEqual({ blobs: 1, records: 0 });
    expect(await opened.committedBlobs(["soon", "later"])).toEqual(new Set(["later"]));
    expect(await opened.prune(new Date(at.getTime() + HOUR))).toEqual({ blobs: 0, records: 2 });
    expect(await opened.deliveredRecords([GUID_A, GUID_B])).toEqual(new Set());
  });

  it("should refuse a second store on the same file while the first holds it", async () => {
    await store().open();
    const error = (await store()
      .open()
      .catch((caught: unknown) => caught)) as AuditfeedError;
    expect(error.code).toBe("AF_ERR_STATE_LOCKED");
    expect(error.message).toContain(join(dir, "nested", "state.sqlite"));
    expect(error.message).toContain("stop the other one");
  });

  it("should be refused while another process holds the file, and open at once after that process is SIGKILLed", async () => {
    const path = join(dir, "nested", "state.sqlite");
    const child = spawn(process.execPath, [join(import.meta.dirname, "fixtures", "hold-state.ts"), path], { stdio: ["ignore", "pipe", "inherit"] });
    const exited = once(child, "exit");
    const [line] = (await once(child.stdout, "data")) as [Buffer];
    expect(line.toString()).toBe("committed\n");
    await expect(store().open()).rejects.toMatchObject({ code: "AF_ERR_STATE_LOCKED" });

    child.kill("SIGKILL");
    await exited;
    const reopened = store();
    await reopened.open();
    expect(await reopened.committedBlobs(["held"])).toEqual(new Set(["held"]));
  });

  it("should reject a state file of a newer schema version, naming the path and the fix", async () => {
    const path = join(dir, "nested", "state.sqlite");
    const first = store();
    await first.open();
    await first.close();
    const db = new DatabaseSync(path);
    db.exec("PRAGMA user_version = 2");
    db.close();
    const error = (await store()
      .open()
      .catch((caught: unknown) => caught)) as AuditfeedError;
    expect(error.code).toBe("AF_ERR_STATE_SCHEMA");
    expect(error.message).toBe(
      `State file ${path} has schema version 2, but this auditfeed understands only version 1: it was written by a newer auditfeed. Run that version (or newer), or point the state location at a new path to start over (which re-delivers the look-back window).`,
    );
  });

  it.each([
    ["another application's SQLite database", (path: string) => new DatabaseSync(path).exec("CREATE TABLE t (x)")],
    ["a file that is not SQLite", (path: string) => writeFileSync(path, "x".repeat(4096))],
  ])("should refuse %s", async (_, create) => {
    const path = join(dir, "foreign.sqlite");
    create(path);
    await expect(store({ path }).open()).rejects.toMatchObject({ code: "AF_ERR_STATE_UNREADABLE" });
  });
});
