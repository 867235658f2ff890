import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KeyFingerprints, keyFingerprint } from "../../../collector/src/state/key-fingerprints.ts";
import { guidKeyInto } from "../../../collector/src/state/record-key.ts";
import { creationHour } from "../../../collector/src/state/record-partition.ts";
import { SqliteRecordIndex } from "../../../collector/src/state/sqlite-record-index.ts";
import { prepareSchema } from "../../../collector/src/state/sqlite-schema.ts";
import type { RecordRef } from "../../../collector/src/state/store.ts";

const HOUR = 3_600_000;
const AT = Date.parse("2024-05-01T12:00:00.000Z");

let dir: string;
let db: DatabaseSync;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "auditfeed-index-"));
  db = new DatabaseSync(join(dir, "state.sqlite"));
  prepareSchema(db, join(dir, "state.sqlite"));
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function refs(count: number, hour: string): RecordRef[] {
  return Array.from({ length: count }, () => ({ id: randomUUID(), creationTime: `${hour}:17:00.000Z` }));
}

function add(index: SqliteRecordIndex, lists: readonly (readonly RecordRef[])[], at = AT): void {
  db.exec("BEGIN IMMEDIATE");
  index.add(lists, at, 24 * HOUR);
  db.exec("COMMIT");
}

/** What only the SQLite index does; every store's answers are in store-contract.test.ts. */
describe("SqliteRecordIndex", () => {
  it("should find every id it committed and none other, counting an id repeated within and across commits once", () => {
    const index = new SqliteRecordIndex(db);
    // 300 ids: one full multi-row statement and a padded one; 10 of them twice in the commit, 40 again in the next.
    const first = refs(300, "2024-05-01T10");
    add(index, [first, first.slice(0, 10)]);
    const second = [...first.slice(100, 140), ...refs(20, "2024-05-01T10"), { id: "not-a-guid", creationTime: "2024-05-01T10:00:00" }];
    add(index, [second]);
    const unknown = refs(1_000, "2024-05-01T10");
    const upper = { ...(first[5] as RecordRef), id: (first[5] as RecordRef).id.toUpperCase() };
    expect(index.lookup([...first, ...second, ...unknown, upper], AT)).toEqual(new Set([...first, ...second, upper].map((record) => record.id)));
    db.exec("BEGIN IMMEDIATE");
    expect(index.prune(AT + 25 * HOUR)).toBe(300 + 20 + 1);
    db.exec("COMMIT");
  });

  it("should stay exact after a transaction that wrote into its partitions is rolled back", () => {
    const index = new SqliteRecordIndex(db);
    const kept = refs(50, "2024-05-01T10");
    add(index, [kept]);
    const undone = [...refs(50, "2024-05-01T10"), ...refs(50, "2024-05-01T11")];
    db.exec("BEGIN IMMEDIATE");
    index.add([undone], AT, 24 * HOUR);
    db.exec("ROLLBACK");
    index.reload();
    expect(index.lookup([...kept, ...undone], AT)).toEqual(new Set(kept.map((record) => record.id)));
    add(index, [undone]);
    expect(index.lookup([...kept, ...undone], AT).size).toBe(150);
  });

  it("should hold at most its bound of fingerprints and still answer exactly for the partitions that lost theirs", () => {
    const index = new SqliteRecordIndex(db, 100);
    const hours = ["2024-05-01T08", "2024-05-01T09", "2024-05-01T10"].map((hour) => refs(80, hour));
    for (const records of hours) add(index, [records]);
    expect(index.fingerprintsHeld).toBe(80);
    const unknown = hours.map((records) => refs(80, (records[0] as RecordRef).creationTime?.slice(0, 13) ?? ""));
    expect(index.lookup([...hours.flat(), ...unknown.flat()], AT)).toEqual(new Set(hours.flat().map((record) => record.id)));
  });

  it("should answer from a reopened file, where partitions have no fingerprints", () => {
    const kept = refs(40, "2024-05-01T10");
    add(new SqliteRecordIndex(db), [kept]);
    const reopened = new SqliteRecordIndex(db);
    expect(reopened.fingerprintsHeld).toBe(0);
    expect(reopened.lookup([...kept, ...refs(40, "2024-05-01T10")], AT)).toEqual(new Set(kept.map((record) => record.id)));
  });
});

describe("KeyFingerprints", () => {
  it("should hold exactly the fingerprints added, through its growth", () => {
    const fingerprints = new KeyFingerprints();
    const added = new Set<number>();
    for (let n = 0; n < 20_000; n++) {
      const fingerprint = ((n * 2_654_435_761) | 1) >>> 0;
      fingerprints.add(fingerprint);
      added.add(fingerprint);
    }
    fingerprints.add(1);
    added.add(1);
    expect(fingerprints.size).toBe(added.size);
    for (let probe = 1; probe < 200_000; probe += 7) expect(fingerprints.has(probe)).toBe(added.has(probe));
    for (const fingerprint of added) expect(fingerprints.has(fingerprint)).toBe(true);
  });

  it("should give a GUID the same non-zero fingerprint in either case, and different GUIDs different ones", () => {
    const key = new Uint8Array(32);
    const id = randomUUID();
    expect(guidKeyInto(id, key, 0)).toBe(true);
    expect(guidKeyInto(id.toUpperCase(), key, 16)).toBe(true);
    expect(keyFingerprint(key, 0)).toBe(keyFingerprint(key, 16));
    expect(keyFingerprint(new Uint8Array(16), 0)).not.toBe(0);
    const seen = new Set<number>();
    for (let n = 0; n < 10_000; n++) {
      guidKeyInto(randomUUID(), key, 0);
      seen.add(keyFingerprint(key, 0));
    }
    expect(seen.size).toBeGreaterThan(9_990);
  });
});

describe("creationHour", () => {
  it("should read the hour exactly where an ISO 8601 start is, and nothing else", () => {
    expect(creationHour("2024-05-01T10:17:00")).toBe("2024-05-01T10");
    expect(creationHour("2024-05-01T10")).toBe("2024-05-01T10");
    expect(creationHour("2024-05-01T10:17:00.000Z")).toBe("2024-05-01T10");
    for (const unreadable of [null, "", "2024-05-01", "2024-05-01 10:17:00", "2024/05/01T10:17", "２０24-05-01T10:00", "2024-05-01t10:17", "x2024-05-01T10"]) {
      expect(creationHour(unreadable)).toBeNull();
    }
  });
});
