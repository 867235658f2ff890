import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditfeedError } from "../../../collector/src/errors.ts";
import { SqliteStateStore } from "../../../collector/src/state/sqlite-store.ts";

const HOUR = 3_600_000;
const FUTURE = "2999-01-01T00:00:00.000Z";

let dir: string;
let stores: SqliteStateStore[];

function store(options: { path?: string; now?: () => Date; dedupeHorizonMs?: number } = {}): SqliteStateStore {
  const created = new SqliteStateStore({
    path: options.path ?? join(dir, "nested", "state.sqlite"),
    dedupeHorizonMs: options.dedupeHorizonMs ?? HOUR,
    ...(options.now === undefined ? {} : { now: options.now }),
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

/** What only the SQLite file has; the behaviour every store shares is in store-contract.test.ts. */
describe("SqliteStateStore", () => {
  it("should bring a version 1 state file up to date, keeping what it holds", async () => {
    const path = join(dir, "nested", "state.sqlite");
    const first = store();
    await first.open();
    const held = { contentType: "Audit.Exchange", contentId: "c1", contentExpiration: FUTURE, keepUntil: FUTURE, records: [], outcome: "delivered" } as const;
    await first.commit({ blobs: [held], sinkCheckpoint: { segment: 1, offset: 3 }, at: new Date() });
    await first.close();
    const db = new DatabaseSync(path);
    // Version 1's layout: no failed blobs, one record_ids table.
    db.exec(`DROP TABLE failed_blobs; DROP TABLE id_partitions;
      CREATE TABLE record_ids (id PRIMARY KEY NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE INDEX record_ids_by_expiry ON record_ids (expires_at); PRAGMA user_version = 1`);
    db.close();
    const migrated = store();
    expect((await migrated.open()).sinkCheckpoint).toEqual({ segment: 1, offset: 3 });
    expect(await migrated.committedBlobs([{ contentId: "c1", contentExpiration: FUTURE }])).toEqual(new Set(["c1"]));
    expect(await migrated.failedBlobs()).toEqual([]);
    await migrated.close();
    const check = new DatabaseSync(path, { readOnly: true });
    expect(check.prepare("PRAGMA user_version").get()).toEqual({ user_version: 3 });
    check.close();
  });

  /**
   * fixtures/state-v2.sqlite was written by the version-2 store (main at d7010f0, horizon 8 days): at 2024-05-01 blob
   * old-1 with ids …0001, …0002 (CreationTime 2024-04-30T23:10) and not-a-guid-1 (none); at 2024-05-05 blob old-2 with
   * …0003 and not-a-guid-2 (2024-05-04T23:59), failed blob "stuck", sink checkpoint offset 250.
   */
  it("should upgrade a version 2 state file without forgetting an id of its dedupe horizon, and drop the old table once it empties", async () => {
    const DAY = 24 * HOUR;
    const path = join(dir, "v2", "state.sqlite");
    mkdirSync(join(dir, "v2"));
    copyFileSync(join(import.meta.dirname, "fixtures", "state-v2.sqlite"), path);
    let now = new Date("2024-05-06T00:00:00.000Z");
    const old = ["5c1f2e3d-0000-4000-8000-000000000001", "5c1f2e3d-0000-4000-8000-000000000002", "not-a-guid-1"];
    const later = ["5c1f2e3d-0000-4000-8000-000000000003", "not-a-guid-2"];
    const first = store({ path, now: () => now, dedupeHorizonMs: 8 * DAY });
    expect(await first.open()).toMatchObject({ sinkCheckpoint: { segment: 1, offset: 250 } });
    expect((await first.failedBlobs()).map((entry) => entry.descriptor.contentId)).toEqual(["stuck"]);
    expect(await first.committedBlobs([{ contentId: "old-1", contentExpiration: "2024-05-07T23:00:00.000Z" }])).toEqual(new Set(["old-1"]));
    // Looked up as the collector does, with their CreationTime (or without, or a different one: the old table has none).
    const lookups = [
      { id: old[0] as string, creationTime: "2024-04-30T23:10:00" },
      { id: (old[1] as string).toUpperCase(), creationTime: null },
      { id: old[2] as string, creationTime: "2024-04-30T23:10:00" },
      ...later.map((id) => ({ id, creationTime: "2024-05-04T23:59:00" })),
      { id: "5c1f2e3d-0000-4000-8000-0000000000ff", creationTime: "2024-05-04T23:59:00" },
    ];
    expect(await first.deliveredRecords(lookups)).toEqual(new Set([old[0], (old[1] as string).toUpperCase(), old[2], ...later]));
    // New ids go to the partitions; the old table keeps answering beside them.
    const fresh = { id: "5c1f2e3d-0000-4000-8000-000000000004", creationTime: "2024-05-05T23:00:00" };
    await first.commit({ blobs: [], records: [fresh], at: now });
    expect(await first.deliveredRecords([fresh, ...lookups])).toEqual(new Set([fresh.id, old[0], (old[1] as string).toUpperCase(), old[2], ...later]));
    await first.close();

    now = new Date("2024-05-09T00:00:00.000Z");
    const second = store({ path, now: () => now, dedupeHorizonMs: 8 * DAY });
    await second.open();
    expect(await second.deliveredRecords(lookups)).toEqual(new Set(later));
    expect(await second.prune(now)).toMatchObject({ records: 3 });
    expect(await second.deliveredRecords(lookups)).toEqual(new Set(later));
    now = new Date("2024-05-13T00:00:00.000Z");
    expect(await second.prune(now)).toMatchObject({ records: 2 });
    expect(await second.deliveredRecords([fresh])).toEqual(new Set([fresh.id]));
    await second.close();
    const check = new DatabaseSync(path, { readOnly: true });
    expect(check.prepare("PRAGMA user_version").get()).toEqual({ user_version: 3 });
    expect(check.prepare("SELECT name FROM sqlite_schema WHERE name LIKE 'record_ids%' ORDER BY name").all()).toEqual([{ name: "record_ids h:2024-05-05T23" }]);
    check.close();
  });

  it("should keep about 20 bytes per GUID id and drop a partition whole at its horizon", async () => {
    const path = join(dir, "size", "state.sqlite");
    const at = new Date("2024-05-01T00:00:00.000Z");
    const first = store({ path, now: () => at });
    await first.open();
    const before = statSync(path).size;
    const ids = 20_000;
    for (let commit = 0; commit < 4; commit++) {
      const records = Array.from({ length: ids / 4 }, (_, i) => ({
        id: randomUUID(),
        creationTime: `2024-04-30T${String(20 + ((commit * 5_000 + i) % 4)).padStart(2, "0")}:00:00`,
      }));
      await first.commit({ blobs: [], records, at });
    }
    await first.close();
    expect((statSync(path).size - before) / ids).toBeLessThan(30);
    const second = store({ path, now: () => at });
    await second.open();
    expect(await second.prune(new Date(at.getTime() + HOUR))).toMatchObject({ records: ids });
  });

  it("should reject a state file of a newer schema version, naming the path and the fix", async () => {
    const path = join(dir, "nested", "state.sqlite");
    const first = store();
    await first.open();
    await first.close();
    const db = new DatabaseSync(path);
    db.exec("PRAGMA user_version = 4");
    db.close();
    const error = (await store()
      .open()
      .catch((caught: unknown) => caught)) as AuditfeedError;
    expect(error.code).toBe("AF_ERR_STATE_SCHEMA");
    expect(error.message).toBe(
      `State file ${path} has schema version 4, but this auditfeed understands versions up to 3: it was written by a newer auditfeed. Run that version (or newer), or point the state location at a new path to start over (which re-delivers the look-back window).`,
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
