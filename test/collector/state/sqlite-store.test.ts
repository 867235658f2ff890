import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
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

function store(options: { path?: string } = {}): SqliteStateStore {
  const created = new SqliteStateStore({
    path: options.path ?? join(dir, "nested", "state.sqlite"),
    dedupeHorizonMs: HOUR,
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
    db.exec("DROP TABLE failed_blobs; PRAGMA user_version = 1");
    db.close();
    const migrated = store();
    expect((await migrated.open()).sinkCheckpoint).toEqual({ segment: 1, offset: 3 });
    expect(await migrated.committedBlobs([{ contentId: "c1", contentExpiration: FUTURE }])).toEqual(new Set(["c1"]));
    expect(await migrated.failedBlobs()).toEqual([]);
    await migrated.close();
    const check = new DatabaseSync(path, { readOnly: true });
    expect(check.prepare("PRAGMA user_version").get()).toEqual({ user_version: 2 });
    check.close();
  });

  it("should reject a state file of a newer schema version, naming the path and the fix", async () => {
    const path = join(dir, "nested", "state.sqlite");
    const first = store();
    await first.open();
    await first.close();
    const db = new DatabaseSync(path);
    db.exec("PRAGMA user_version = 3");
    db.close();
    const error = (await store()
      .open()
      .catch((caught: unknown) => caught)) as AuditfeedError;
    expect(error.code).toBe("AF_ERR_STATE_SCHEMA");
    expect(error.message).toBe(
      `State file ${path} has schema version 3, but this auditfeed understands versions up to 2: it was written by a newer auditfeed. Run that version (or newer), or point the state location at a new path to start over (which re-delivers the look-back window).`,
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
