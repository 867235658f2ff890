import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, openSync, closeSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { AuditfeedError } from "../../../collector/src/errors.ts";
import { SqliteStateStore } from "../../../collector/src/state/sqlite-store.ts";

// Issue 7, item 11: a damaged state file was reported as a transient "retried next cycle" with "check disk space", and
// a truncated one, or a state folder that cannot be written or created, gave raw SQLite or EACCES errors without the
// path. Item 12: the state was world-readable.

const FIXTURE = join(import.meta.dirname, "fixtures", "open-state.ts");
const IDS = Array.from({ length: 20_000 }, (_, i) => ({ id: `5c1f2e3d-0000-4000-8000-${String(i).padStart(12, "0")}`, creationTime: null }));
const NOBODY = 65_534;

let dir: string;
let stores: SqliteStateStore[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "auditfeed-state-errors-"));
  stores = [];
});

afterEach(async () => {
  for (const store of stores) await store.close().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function store(path: string): SqliteStateStore {
  const created = new SqliteStateStore({ path, dedupeHorizonMs: 3_600_000 });
  stores.push(created);
  return created;
}

/** A closed state file holding 20,000 record ids: big enough that its middle pages are the record index. */
async function stateWithHistory(path: string): Promise<void> {
  const writer = store(path);
  await writer.open();
  await writer.commit({
    blobs: [
      {
        contentType: "Audit.General",
        contentId: "b1",
        contentExpiration: "2999-01-01T00:00:00.000Z",
        keepUntil: "2999-01-01T00:00:00.000Z",
        records: IDS,
        outcome: "delivered",
      },
    ],
    sinkCheckpoint: { segment: 1, offset: 0 },
    at: new Date(),
  });
  await writer.close();
}

async function failure(promise: Promise<unknown>): Promise<AuditfeedError> {
  const error = (await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )) as AuditfeedError | undefined;
  expect(error, "the call should have failed").toBeDefined();
  return error as AuditfeedError;
}

/** Opens the state in a child process, as another user when the tests run as root (root ignores permissions). */
function openAsUnprivileged(path: string): { opened: boolean; code?: string; message?: string; retryable?: boolean } {
  const asRoot = process.getuid?.() === 0;
  const output = execFileSync(process.execPath, [FIXTURE, path], { ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}), encoding: "utf8" });
  return JSON.parse(output) as { opened: boolean };
}

describe("SqliteStateStore errors name the file and the fix", () => {
  it("should report a file damaged in the middle as corrupt and not retryable, not as a full disk", async () => {
    const path = join(dir, "state.sqlite");
    await stateWithHistory(path);
    const handle = openSync(path, "r+");
    writeSync(handle, Buffer.alloc(64 * 1024, 0x5a), 0, 64 * 1024, Math.floor(statSync(path).size / 2));
    closeSync(handle);

    const opened = store(path);
    await opened.open();
    const error = await failure(opened.deliveredRecords(IDS));
    expect(error).toMatchObject({ code: "AF_ERR_STATE_CORRUPT", retryable: false });
    expect(error.message).toContain(`State file ${path} is damaged`);
    expect(error.message).toContain("Restore it from a backup");
    expect(error.message).not.toMatch(/space/);
  });

  it("should report a truncated file as corrupt, naming it", async () => {
    const path = join(dir, "state.sqlite");
    await stateWithHistory(path);
    truncateSync(path, Math.floor(statSync(path).size / 3));
    const error = await failure(store(path).open());
    expect(error).toMatchObject({ code: "AF_ERR_STATE_CORRUPT", retryable: false });
    expect(error.message).toContain(`State file ${path} is damaged`);
  });

  it("should say that a state folder cannot be created under a file", async () => {
    writeFileSync(join(dir, "file"), "");
    const path = join(dir, "file", "state", "state.sqlite");
    const error = await failure(store(path).open());
    expect(error).toMatchObject({ code: "AF_ERR_STATE_ACCESS", retryable: false });
    expect(error.message).toContain(`The state folder ${join(dir, "file", "state")} cannot be created (ENOTDIR)`);
  });

  it("should name the folder and the fix when the collector's user may not write the state folder", () => {
    const locked = join(dir, "locked");
    mkdirSync(locked);
    chmodSync(dir, 0o755);
    chmodSync(locked, 0o555);
    for (const path of [join(locked, "state.sqlite"), join(locked, "missing", "state.sqlite")]) {
      const outcome = openAsUnprivileged(path);
      expect(outcome).toMatchObject({ opened: false, code: "AF_ERR_STATE_ACCESS", retryable: false });
      expect(outcome.message).toContain(`State file ${path} cannot be opened for writing (EACCES`);
      expect(outcome.message).toContain("--state / AUDITFEED_STATE");
    }
  });

  it("should create the state owner-only: folder 0700, file 0600, and so its -wal file", async () => {
    const path = join(dir, "nested", "state.sqlite");
    const opened = store(path);
    await opened.open();
    await opened.commit({ blobs: [], sinkCheckpoint: null, at: new Date() });
    expect(statSync(join(dir, "nested")).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(`${path}-wal`).mode & 0o777).toBe(0o600);
  });
});
