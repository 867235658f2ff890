import type { DatabaseSync } from "node:sqlite";
import { AuditfeedError } from "../errors.ts";

/** The layout this code reads and writes (see the comment at the top of sqlite-store.ts). */
export const SCHEMA_VERSION = 3;

/** "AUDF": tells an auditfeed state file from any other SQLite database. */
const APPLICATION_ID = 0x41554446;

/** The whole layout of a new file. The record-id tables themselves are created as their partitions are first written. */
const SCHEMA = `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
  CREATE TABLE cursors (
    content_type TEXT PRIMARY KEY,
    origin TEXT NOT NULL,
    listed_through TEXT,
    subscription_started_at TEXT
  ) WITHOUT ROWID;
  CREATE TABLE blobs (
    content_id TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('delivered', 'expired')),
    committed_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX blobs_by_expiry ON blobs (expires_at);
  ${failedBlobsTable()}
  ${idPartitionsTable()}
`;

/**
 * What each version adds to the one before: an older state file is brought up to date, never re-created.
 * Version 3 leaves version 2's \`record_ids\` table as it is: its ids carry no CreationTime, so they cannot be moved
 * into partitions. The store keeps reading it (and pruning it by its expiry index) until its last id leaves the
 * horizon, then drops it: an upgrade never forgets an id within the dedupe horizon.
 */
const MIGRATIONS: Readonly<Record<number, string>> = {
  2: failedBlobsTable(),
  3: idPartitionsTable(),
};

function failedBlobsTable(): string {
  return `
  CREATE TABLE failed_blobs (
    content_id TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    descriptor TEXT NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    failures INTEGER NOT NULL,
    first_failed_at TEXT NOT NULL,
    last_failed_at TEXT NOT NULL,
    quarantined_at TEXT,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX failed_blobs_by_expiry ON failed_blobs (expires_at);`;
}

function idPartitionsTable(): string {
  return `
  CREATE TABLE id_partitions (name TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, entries INTEGER NOT NULL) WITHOUT ROWID;`;
}

/**
 * Checks that the file is new or an auditfeed state file this code understands, then switches it to WAL and creates
 * the schema if new, or brings an older version's up to date (in one transaction). The check comes first so that another application's database is never modified.
 * The caller holds the exclusive lock, so nothing changes in between.
 */
export function prepareSchema(db: DatabaseSync, path: string): void {
  const applicationId = pragmaNumber(db, "application_id");
  const version = pragmaNumber(db, "user_version");
  const tables = Number(db.prepare("SELECT count(*) AS n FROM sqlite_schema").get()?.n ?? 0);
  const isNew = applicationId === 0 && version === 0 && tables === 0;
  if (!isNew && applicationId !== APPLICATION_ID) {
    throw new AuditfeedError(
      "AF_ERR_STATE_UNREADABLE",
      `State file ${path} is an SQLite database that auditfeed did not create. Point the state location at auditfeed's state file, or at a new path to start over.`,
    );
  }
  if (!isNew && version > SCHEMA_VERSION) {
    throw new AuditfeedError(
      "AF_ERR_STATE_SCHEMA",
      `State file ${path} has schema version ${version}, but this auditfeed understands versions up to ${SCHEMA_VERSION}: it was written by a newer auditfeed. Run that version (or newer), or point the state location at a new path to start over (which re-delivers the look-back window).`,
    );
  }
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL");
  if (!isNew && version === SCHEMA_VERSION) return;
  db.exec("BEGIN EXCLUSIVE");
  try {
    if (isNew) {
      db.exec(SCHEMA);
      db.prepare("INSERT INTO meta (key, value) VALUES ('created_at', ?)").run(new Date().toISOString());
    } else {
      for (let next = version + 1; next <= SCHEMA_VERSION; next++) db.exec(MIGRATIONS[next] ?? "");
    }
    db.exec(`PRAGMA application_id = ${APPLICATION_ID}; PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec("COMMIT");
  } catch (error) {
    if (db.isTransaction) db.exec("ROLLBACK");
    throw error;
  }
}

function pragmaNumber(db: DatabaseSync, name: string): number {
  return Number(db.prepare(`PRAGMA ${name}`).get()?.[name] ?? 0);
}
