/**
 * The default StateStore: one SQLite file on local disk (node:sqlite), written one transaction per commit.
 *
 * Layout (schema version 3, kept in `PRAGMA user_version`; `PRAGMA application_id` marks the file as auditfeed's):
 * - `meta(key, value)`: `created_at`, `sink_checkpoint` (the JSON of the sink's last committed checkpoint;
 *   no row means null), and `run_stats` (the JSON of the run statistics `auditfeed status` reads; no row: none yet).
 * - `cursors(content_type, origin, listed_through, subscription_started_at)`: one row per content type, ISO 8601 text.
 * - `blobs(content_id, content_type, expires_at, outcome, committed_at)`: the delivered-blob ledger; a row lives
 *   until the commit's `keepUntil` (`expires_at`, epoch milliseconds), after which the API cannot list the blob again.
 * - `failed_blobs(content_id, content_type, descriptor, code, message, failures, first_failed_at, last_failed_at,
 *   quarantined_at, expires_at)`: blobs that failed and are still owed (see `FailedBlob`); `descriptor` is the
 *   listing entry's JSON, times are ISO 8601 text except `expires_at` (`keepUntil`, epoch milliseconds). Added in
 *   version 2: a version-1 file gains the empty table when it is opened.
 * - `id_partitions(name, expires_at, entries)` and one `"record_ids <name>"(id)` table per partition: the exact dedupe
 *   index, partitioned by the hour of each record's CreationTime and dropped whole past its horizon (see
 *   sqlite-record-index.ts). Added in version 3; a version-2 file's `record_ids(id, expires_at)` is read until it empties.
 * Every table is WITHOUT ROWID; the ledger and the failed blobs have an index on `expires_at` so that `prune` does not scan.
 *
 * Durability and exclusion: WAL with `synchronous=FULL`, so a commit is on disk when `commit` resolves and a
 * SIGKILL at any instant leaves either all of a commit or none of it. `locking_mode=EXCLUSIVE` makes the first
 * transaction take an OS file lock that is held until `close`: a second collector on the same file is refused, and
 * because the kernel drops the lock when its process dies, a SIGKILLed collector never leaves a stale lock behind.
 * (The lock is a POSIX advisory lock: keep the file on a local disk, not on a network share.)
 *
 * For a store that lives in Azure Blob storage (an ephemeral job), `close` checkpoints the WAL into the main file
 * and removes it, so the single file at `path` is the whole state and can be uploaded as is.
 */
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { AuditfeedError } from "../errors.ts";
import type { SinkCheckpoint } from "../sinks/sink.ts";
import { isContentType, type ContentDescriptor, type ContentType } from "../source/content.ts";
import { SqliteRecordIndex } from "./sqlite-record-index.ts";
import { prepareSchema } from "./sqlite-schema.ts";
import { isLockConflict, stateError } from "./state-errors.ts";
import {
  EMPTY_RUN_STATS,
  type BlobCommit,
  type BlobRef,
  type Commit,
  type ContentTypeCursor,
  type FailedBlob,
  type RecordRef,
  type RunStats,
  type StateSnapshot,
  type StateStore,
} from "./store.ts";

export interface SqliteStateStoreOptions {
  /** The state file; parent directories are created. */
  readonly path: string;
  /** How long a delivered record `Id` is remembered for dedupe after its commit, in milliseconds. */
  readonly dedupeHorizonMs: number;
  /** The clock that decides which dedupe entries are still within the horizon (tests move it). */
  readonly now?: () => Date;
}

/** Content ids per `IN (...)` lookup of the ledger, far below SQLite's variable limit. */
const LOOKUP_CHUNK = 500;
/**
 * SQLite's page cache, in KiB (negative: a size, not pages): the recent hours' index partitions, where new records are
 * looked up and inserted, stay in it however many ids older partitions hold.
 */
const CACHE_KIB = 32_768;

interface Statements {
  readonly insertBlob: StatementSync;
  readonly upsertCursor: StatementSync;
  readonly setMeta: StatementSync;
  readonly deleteMeta: StatementSync;
  readonly findBlobs: StatementSync;
  readonly pruneBlobs: StatementSync;
  readonly upsertFailed: StatementSync;
  readonly deleteFailed: StatementSync;
  readonly allFailed: StatementSync;
  readonly pruneFailed: StatementSync;
}

export class SqliteStateStore implements StateStore {
  readonly #path: string;
  readonly #dedupeHorizonMs: number;
  readonly #now: () => Date;
  #db: DatabaseSync | undefined;
  #statements: Statements | undefined;
  #index: SqliteRecordIndex | undefined;

  constructor(options: SqliteStateStoreOptions) {
    if (options.path.length === 0) throw new TypeError("SqliteStateStore: `path` must name the state file.");
    if (!Number.isSafeInteger(options.dedupeHorizonMs) || options.dedupeHorizonMs <= 0) {
      throw new RangeError(`SqliteStateStore: \`dedupeHorizonMs\` must be a positive integer of milliseconds; got ${String(options.dedupeHorizonMs)}.`);
    }
    this.#path = options.path;
    this.#dedupeHorizonMs = options.dedupeHorizonMs;
    this.#now = options.now ?? (() => new Date());
  }

  open(): Promise<StateSnapshot> {
    return this.#settle("open the state", () => this.#open());
  }

  #open(): StateSnapshot {
    if (this.#db !== undefined) throw new Error(`State store ${this.#path} is already open.`);
    // Owner-only (folder 0700, file 0600): the state holds the tenant's record ids and where its audit log went, which
    // nobody else on the host or in the container needs. SQLite gives the -wal and -shm files the database file's
    // mode, so creating the file first is enough. An existing file keeps the mode its operator gave it.
    mkdirSync(dirname(this.#path), { recursive: true, mode: 0o700 });
    closeSync(openSync(this.#path, "a", 0o600));
    const db = new DatabaseSync(this.#path);
    try {
      this.#lock(db);
      prepareSchema(db, this.#path);
      db.exec(`PRAGMA cache_size = -${CACHE_KIB}`);
      this.#statements = prepareStatements(db);
      this.#index = new SqliteRecordIndex(db);
      this.#db = db;
      return this.#snapshot(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  committedBlobs(blobs: readonly BlobRef[]): Promise<Set<string>> {
    return this.#settle("look up delivered blobs", () => {
      const { findBlobs } = this.#opened();
      const found = new Set<string>();
      for (const chunk of chunks(blobs.map((blob) => blob.contentId))) {
        for (const row of findBlobs.all(...chunk)) found.add(row.content_id as string);
      }
      return found;
    });
  }

  failedBlobs(): Promise<FailedBlob[]> {
    return this.#settle("look up failed blobs", () =>
      this.#opened()
        .allFailed.all()
        .map((row) => ({
          descriptor: JSON.parse(row.descriptor as string) as ContentDescriptor,
          code: row.code as string,
          message: row.message as string,
          failures: Number(row.failures),
          firstFailedAt: row.first_failed_at as string,
          lastFailedAt: row.last_failed_at as string,
          quarantinedAt: row.quarantined_at as string | null,
          keepUntil: new Date(Number(row.expires_at)).toISOString(),
        })),
    );
  }

  deliveredRecords(records: readonly RecordRef[]): Promise<Set<string>> {
    return this.#settle("look up delivered record ids", () => {
      this.#opened();
      return this.#recordIndex().lookup(records, this.#now().getTime());
    });
  }

  commit(commit: Commit): Promise<void> {
    return this.#settle("commit state", () => {
      const statements = this.#opened();
      const at = commit.at.getTime();
      if (!Number.isFinite(at)) throw new RangeError("State commit: `at` is not a valid date.");
      this.#transaction(() => {
        for (const blob of commit.blobs) {
          insertBlob(statements, blob, at);
          statements.deleteFailed.run(blob.contentId);
        }
        for (const failed of commit.failed ?? []) upsertFailed(statements, failed);
        this.#recordIndex().add([...commit.blobs.map((blob) => blob.records), commit.records ?? []], at, this.#dedupeHorizonMs);
        if (commit.sinkCheckpoint === null) statements.deleteMeta.run("sink_checkpoint");
        else if (commit.sinkCheckpoint !== undefined) statements.setMeta.run("sink_checkpoint", JSON.stringify(commit.sinkCheckpoint));
        if (commit.stats !== undefined) statements.setMeta.run("run_stats", JSON.stringify(commit.stats));
        for (const [contentType, cursor] of Object.entries(commit.cursors ?? {})) {
          if (!isContentType(contentType)) throw new TypeError(`State commit: cursor key "${contentType}" is not a content type.`);
          if (cursor !== undefined) upsertCursor(statements, contentType, cursor);
        }
      });
    });
  }

  prune(now: Date): Promise<{ readonly blobs: number; readonly records: number; readonly failed: number }> {
    return this.#settle("prune state", () => {
      const { pruneBlobs, pruneFailed } = this.#opened();
      const cutoff = now.getTime();
      return this.#transaction(() => ({
        blobs: Number(pruneBlobs.run(cutoff).changes),
        records: this.#recordIndex().prune(cutoff),
        failed: Number(pruneFailed.run(cutoff).changes),
      }));
    });
  }

  close(): Promise<void> {
    return this.#settle("close the state", () => {
      const db = this.#db;
      if (db === undefined) return;
      this.#db = undefined;
      this.#statements = undefined;
      this.#index = undefined;
      try {
        db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      } finally {
        db.close();
      }
    });
  }

  /** Takes the exclusive file lock now, so that a second collector fails at start rather than at its first commit. */
  #lock(db: DatabaseSync): void {
    try {
      db.exec("PRAGMA locking_mode = EXCLUSIVE");
      db.exec("BEGIN EXCLUSIVE; COMMIT");
    } catch (error) {
      if (isLockConflict(error)) {
        throw new AuditfeedError(
          "AF_ERR_STATE_LOCKED",
          `State file ${this.#path} is in use by another auditfeed collector. Only one collector may use a state file: stop the other one, or give this one its own state location.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  #transaction<T>(body: () => T): T {
    const db = this.#db;
    if (db === undefined) throw new Error(`State store ${this.#path} is not open.`);
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = body();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      if (db.isTransaction) db.exec("ROLLBACK");
      this.#index?.reload();
      throw error;
    }
  }

  /** node:sqlite is synchronous; this keeps the async contract (a throw becomes a rejection) and names the file in every failure. */
  #settle<T>(what: string, body: () => T): Promise<T> {
    return new Promise<T>((resolve) => resolve(body())).catch((error: unknown) => {
      throw stateError(this.#path, what, error);
    });
  }

  #snapshot(db: DatabaseSync): StateSnapshot {
    const cursors: Partial<Record<ContentType, ContentTypeCursor>> = {};
    for (const row of db.prepare("SELECT content_type, origin, listed_through, subscription_started_at FROM cursors").all()) {
      const contentType = row.content_type as string;
      if (!isContentType(contentType)) continue;
      cursors[contentType] = {
        origin: row.origin as string,
        listedThrough: row.listed_through as string | null,
        subscriptionStartedAt: row.subscription_started_at as string | null,
      };
    }
    const checkpointRow = db.prepare("SELECT value FROM meta WHERE key = 'sink_checkpoint'").get();
    const statsRow = db.prepare("SELECT value FROM meta WHERE key = 'run_stats'").get();
    return {
      sinkCheckpoint: checkpointRow === undefined ? null : (JSON.parse(checkpointRow.value as string) as SinkCheckpoint),
      cursors,
      stats: statsRow === undefined ? EMPTY_RUN_STATS : (JSON.parse(statsRow.value as string) as RunStats),
    };
  }

  #recordIndex(): SqliteRecordIndex {
    if (this.#index === undefined) throw new Error(`State store ${this.#path} is not open: call open() first.`);
    return this.#index;
  }

  #opened(): Statements {
    if (this.#statements === undefined) throw new Error(`State store ${this.#path} is not open: call open() first.`);
    return this.#statements;
  }
}

function prepareStatements(db: DatabaseSync): Statements {
  const placeholders = Array.from({ length: LOOKUP_CHUNK }, () => "?").join(", ");
  return {
    insertBlob: db.prepare("INSERT OR REPLACE INTO blobs (content_id, content_type, expires_at, outcome, committed_at) VALUES (?, ?, ?, ?, ?)"),
    upsertCursor: db.prepare("INSERT OR REPLACE INTO cursors (content_type, origin, listed_through, subscription_started_at) VALUES (?, ?, ?, ?)"),
    setMeta: db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)"),
    deleteMeta: db.prepare("DELETE FROM meta WHERE key = ?"),
    findBlobs: db.prepare(`SELECT content_id FROM blobs WHERE content_id IN (${placeholders})`),
    pruneBlobs: db.prepare("DELETE FROM blobs WHERE expires_at <= ?"),
    upsertFailed: db.prepare(
      "INSERT OR REPLACE INTO failed_blobs (content_id, content_type, descriptor, code, message, failures, first_failed_at, last_failed_at, quarantined_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    deleteFailed: db.prepare("DELETE FROM failed_blobs WHERE content_id = ?"),
    allFailed: db.prepare(
      "SELECT descriptor, code, message, failures, first_failed_at, last_failed_at, quarantined_at, expires_at FROM failed_blobs ORDER BY content_id",
    ),
    pruneFailed: db.prepare("DELETE FROM failed_blobs WHERE expires_at <= ?"),
  };
}

function insertBlob(statements: Statements, blob: BlobCommit, at: number): void {
  const expiresAt = Date.parse(blob.keepUntil);
  if (!Number.isFinite(expiresAt)) {
    throw new RangeError(`State commit: blob ${blob.contentId} has keepUntil "${blob.keepUntil}", which is not an ISO 8601 instant.`);
  }
  statements.insertBlob.run(blob.contentId, blob.contentType, expiresAt, blob.outcome, at);
}

function upsertFailed(statements: Statements, failed: FailedBlob): void {
  const { descriptor } = failed;
  const expiresAt = Date.parse(failed.keepUntil);
  if (!Number.isFinite(expiresAt)) {
    throw new RangeError(`State commit: failed blob ${descriptor.contentId} has keepUntil "${failed.keepUntil}", which is not an ISO 8601 instant.`);
  }
  statements.upsertFailed.run(
    descriptor.contentId,
    descriptor.contentType,
    JSON.stringify(descriptor),
    failed.code,
    failed.message,
    failed.failures,
    failed.firstFailedAt,
    failed.lastFailedAt,
    failed.quarantinedAt,
    expiresAt,
  );
}

function upsertCursor(statements: Statements, contentType: ContentType, cursor: ContentTypeCursor): void {
  statements.upsertCursor.run(contentType, cursor.origin, cursor.listedThrough, cursor.subscriptionStartedAt);
}

/** Fixed-size chunks for the one prepared `IN (...)` statement; the last one is padded by repeating its first item. */
function* chunks(items: readonly string[]): Generator<string[]> {
  for (let start = 0; start < items.length; start += LOOKUP_CHUNK) {
    const chunk = items.slice(start, start + LOOKUP_CHUNK);
    const first = chunk[0] as string;
    while (chunk.length < LOOKUP_CHUNK) chunk.push(first);
    yield chunk;
  }
}
