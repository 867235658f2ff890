/**
 * The SQLite store's record-id dedupe index, partitioned by the hour of each record's `CreationTime`.
 *
 * A partition is one table `"record_ids <name>" (id PRIMARY KEY) WITHOUT ROWID`: the id's key alone (a GUID as its
 * 16 bytes, any other id as TEXT; see record-key.ts), about 20 bytes per id with SQLite's cell overhead, and no
 * expiry column or second index. `id_partitions(name, expires_at, entries)` holds each partition's latest expiry (the
 * latest commit into it plus the horizon) and its entry count: a whole partition counts until then and is dropped at
 * once when it passes (`DROP TABLE`, no row-by-row delete). An id may so count a little longer than its own horizon,
 * never shorter.
 *
 * Names: `h:<YYYY-MM-DDTHH>` by CreationTime hour (a duplicate has the same CreationTime, so a lookup reads one
 * partition per hour in hand); a record without a readable CreationTime goes to `n:<YYYY-MM-DD>` by its commit's UTC
 * day, and is looked up in every live `n:` partition (at most the horizon's days).
 *
 * Why it stays flat with history: new records fall into the few recent hours, whose tables are small and stay in
 * SQLite's page cache, whatever the number of ids kept in older partitions. Version 2's single `record_ids(id,
 * expires_at)` table, when the file has one, is still read and pruned until it is empty, then dropped.
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import { keyTextOf, recordKey, recordKeyText, type RecordKey } from "./record-key.ts";
import { creationHour } from "./record-partition.ts";
import type { RecordRef } from "./store.ts";

/** Ids per `IN (...)` lookup: measured faster than one statement per id, and far below SQLite's variable limit. */
const LOOKUP_CHUNK = 500;
const NAME = /^(?:h:\d{4}-\d{2}-\d{2}T\d{2}|n:\d{4}-\d{2}-\d{2})$/;
const LEGACY_TABLE = "record_ids";

interface PartitionRow {
  expiresAt: number;
  entries: number;
}

interface PartitionStatements {
  readonly insert: StatementSync;
  readonly find: StatementSync;
}

export class SqliteRecordIndex {
  readonly #db: DatabaseSync;
  readonly #placeholders = Array.from({ length: LOOKUP_CHUNK }, () => "?").join(", ");
  readonly #statements = new Map<string, PartitionStatements>();
  readonly #upsert: StatementSync;
  readonly #delete: StatementSync;
  #partitions = new Map<string, PartitionRow>();
  #legacy: { readonly find: StatementSync; readonly prune: StatementSync; readonly any: StatementSync } | undefined;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#upsert = db.prepare("INSERT OR REPLACE INTO id_partitions (name, expires_at, entries) VALUES (?, ?, ?)");
    this.#delete = db.prepare("DELETE FROM id_partitions WHERE name = ?");
    this.reload();
  }

  /** Reads the partitions as the file holds them: at open, and after a rolled-back transaction undid changes made here. */
  reload(): void {
    this.#partitions = new Map();
    for (const row of this.#db.prepare("SELECT name, expires_at, entries FROM id_partitions").all()) {
      const name = row.name as string;
      if (NAME.test(name)) this.#partitions.set(name, { expiresAt: Number(row.expires_at), entries: Number(row.entries) });
    }
    for (const name of this.#statements.keys()) if (!this.#partitions.has(name)) this.#statements.delete(name);
    const hasLegacy = this.#db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?").get(LEGACY_TABLE) !== undefined;
    this.#legacy = hasLegacy
      ? {
          find: this.#db.prepare(`SELECT id FROM ${LEGACY_TABLE} WHERE expires_at > ? AND id IN (${this.#placeholders})`),
          prune: this.#db.prepare(`DELETE FROM ${LEGACY_TABLE} WHERE expires_at <= ?`),
          any: this.#db.prepare(`SELECT 1 FROM ${LEGACY_TABLE} LIMIT 1`),
        }
      : undefined;
  }

  /** The ids of `records` in a partition that is live at `now`. */
  lookup(records: readonly RecordRef[], now: number): Set<string> {
    const idsByKey = new Map<string, string[]>();
    const byPartition = new Map<string | null, RecordKey[]>();
    const all: RecordKey[] = [];
    for (const { id, creationTime } of records) {
      const key = recordKey(id);
      const text = keyTextOf(id, key);
      const ids = idsByKey.get(text);
      if (ids !== undefined) {
        ids.push(id);
        continue;
      }
      idsByKey.set(text, [id]);
      const hour = creationHour(creationTime);
      const partition = hour === null ? null : `h:${hour}`;
      const keys = byPartition.get(partition);
      if (keys === undefined) byPartition.set(partition, [key]);
      else keys.push(key);
      all.push(key);
    }
    const found = new Set<string>();
    const collect = (rows: Iterable<Record<string, unknown>>): void => {
      for (const row of rows) for (const id of idsByKey.get(recordKeyText(row.id as RecordKey)) ?? []) found.add(id);
    };
    for (const [partition, keys] of byPartition) {
      const names = partition === null ? [...this.#partitions.keys()].filter((name) => name.startsWith("n:")) : [partition];
      for (const name of names) {
        const row = this.#partitions.get(name);
        if (row === undefined || row.expiresAt <= now) continue;
        const { find } = this.#statementsOf(name);
        for (const chunk of chunks(keys)) collect(find.all(...chunk));
      }
    }
    if (this.#legacy !== undefined) {
      for (const chunk of chunks(all)) collect(this.#legacy.find.all(now, ...chunk));
    }
    return found;
  }

  /** Adds `records` committed at `at`, kept for `horizonMs`; runs inside the caller's transaction. */
  add(records: Iterable<RecordRef>, at: number, horizonMs: number): void {
    const expiresAt = at + horizonMs;
    const touched = new Map<string, PartitionRow>();
    const day = new Date(at).toISOString().slice(0, 10);
    for (const { id, creationTime } of records) {
      const hour = creationHour(creationTime);
      const name = hour === null ? `n:${day}` : `h:${hour}`;
      let row = touched.get(name);
      if (row === undefined) {
        let known = this.#partitions.get(name);
        // A partition past its expiry that prune has not dropped yet starts over, so its old ids do not count again.
        if (known !== undefined && known.expiresAt <= at) {
          this.#drop(name);
          known = undefined;
        }
        if (known === undefined) this.#db.exec(`CREATE TABLE ${table(name)} (id PRIMARY KEY NOT NULL) WITHOUT ROWID`);
        row = { expiresAt: Math.max(known?.expiresAt ?? -Infinity, expiresAt), entries: known?.entries ?? 0 };
        touched.set(name, row);
        this.#partitions.set(name, row);
      }
      row.entries += Number(this.#statementsOf(name).insert.run(recordKey(id)).changes);
    }
    for (const [name, row] of touched) this.#upsert.run(name, row.expiresAt, row.entries);
  }

  /** Drops the partitions past their expiry at `cutoff` (and version 2's rows past theirs); runs inside the caller's transaction. */
  prune(cutoff: number): number {
    let dropped = 0;
    for (const [name, row] of this.#partitions) {
      if (row.expiresAt > cutoff) continue;
      this.#drop(name);
      dropped += row.entries;
    }
    if (this.#legacy !== undefined) {
      dropped += Number(this.#legacy.prune.run(cutoff).changes);
      if (this.#legacy.any.get() === undefined) {
        this.#db.exec(`DROP TABLE ${LEGACY_TABLE}`);
        this.#legacy = undefined;
      }
    }
    return dropped;
  }

  #drop(name: string): void {
    this.#db.exec(`DROP TABLE IF EXISTS ${table(name)}`);
    this.#delete.run(name);
    this.#partitions.delete(name);
    this.#statements.delete(name);
  }

  #statementsOf(name: string): PartitionStatements {
    let statements = this.#statements.get(name);
    if (statements === undefined) {
      statements = {
        insert: this.#db.prepare(`INSERT OR IGNORE INTO ${table(name)} (id) VALUES (?)`),
        find: this.#db.prepare(`SELECT id FROM ${table(name)} WHERE id IN (${this.#placeholders})`),
      };
      this.#statements.set(name, statements);
    }
    return statements;
  }
}

/** The table of a partition; names are checked against `NAME` (digits, dashes, `T`, `:`), so quoting is enough. */
function table(name: string): string {
  if (!NAME.test(name)) throw new Error(`Not a record-id partition name: ${name}`);
  return `"record_ids ${name}"`;
}

/** Fixed-size chunks for the one prepared `IN (...)` statement; the last one is padded by repeating its first item. */
function* chunks(items: readonly RecordKey[]): Generator<RecordKey[]> {
  for (let start = 0; start < items.length; start += LOOKUP_CHUNK) {
    const chunk = items.slice(start, start + LOOKUP_CHUNK);
    const first = chunk[0] as RecordKey;
    while (chunk.length < LOOKUP_CHUNK) chunk.push(first);
    yield chunk;
  }
}
