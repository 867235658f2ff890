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
import { KeyFingerprints, keyFingerprint } from "./key-fingerprints.ts";
import { guidKeyInto, keyTextOf, recordKey, recordKeyText, type RecordKey } from "./record-key.ts";
import { creationHour } from "./record-partition.ts";
import type { RecordRef } from "./store.ts";

/** Ids per `IN (...)` lookup: measured faster than one statement per id, and far below SQLite's variable limit. */
const LOOKUP_CHUNK = 500;
/**
 * Keys per multi-row `INSERT`: node:sqlite is crossed once per chunk instead of once per id (0.6 instead of 1.0 µs of
 * CPU per id in bench/state.ts); a partial last chunk is padded with its first key, which `OR IGNORE` skips.
 */
const INSERT_CHUNK = 256;
/**
 * At most this many fingerprints are held (8 to 16 bytes each: 4-byte slots, at most half full; 16 MiB at worst);
 * past it, the partitions written longest ago lose theirs and are asked with queries again. A busy hour of 450,000
 * records fits.
 */
const MAX_FINGERPRINTS = 1_000_000;
/** Keys of one commit sorted by their first 4 bytes through one Float64Array: the key's index fits below this. */
const SORT_INDEX = 2 ** 20;
const NAME = /^(?:h:\d{4}-\d{2}-\d{2}T\d{2}|n:\d{4}-\d{2}-\d{2})$/;
const LEGACY_TABLE = "record_ids";

interface PartitionRow {
  expiresAt: number;
  entries: number;
}

interface PartitionStatements {
  readonly insert: StatementSync;
  readonly find: StatementSync;
  insertMany?: StatementSync;
}

/** The keys one commit adds to one partition: GUIDs packed 16 bytes each, other ids as text. */
class PendingKeys {
  guids = Buffer.allocUnsafe(16 * 64);
  count = 0;
  readonly texts: string[] = [];

  add(id: string): void {
    if (this.guids.length < (this.count + 1) * 16) {
      const grown = Buffer.allocUnsafe(this.guids.length * 2);
      this.guids.copy(grown, 0, 0, this.count * 16);
      this.guids = grown;
    }
    if (guidKeyInto(id, this.guids, this.count * 16)) this.count++;
    else this.texts.push(id);
  }

  /**
   * Where each GUID key starts in `guids`, in the order of their first 4 bytes: inserted in that order, they land in
   * neighbouring B-tree cells (half the CPU of arrival order in bench/state.ts). A numeric sort of one typed array,
   * not a comparator.
   */
  sortedOffsets(): Float64Array {
    const { guids, count } = this;
    const order = new Float64Array(count);
    if (count >= SORT_INDEX) {
      for (let index = 0; index < count; index++) order[index] = index * 16;
      return order;
    }
    for (let index = 0; index < count; index++) order[index] = guids.readUInt32BE(index * 16) * SORT_INDEX + index;
    order.sort();
    for (let at = 0; at < count; at++) order[at] = ((order[at] as number) % SORT_INDEX) * 16;
    return order;
  }
}

export class SqliteRecordIndex {
  readonly #db: DatabaseSync;
  readonly #placeholders = Array.from({ length: LOOKUP_CHUNK }, () => "?").join(", ");
  readonly #statements = new Map<string, PartitionStatements>();
  /**
   * Fingerprints of the partitions this process created, whose every key went through `add` here: a lookup in one of
   * them queries only the keys whose fingerprint is there. Insertion order = least recently written first.
   */
  readonly #fingerprints = new Map<string, KeyFingerprints>();
  readonly #scratch = new Uint8Array(16);
  readonly #chunk = chunkViews();
  readonly #maxFingerprints: number;
  readonly #upsert: StatementSync;
  readonly #delete: StatementSync;
  #partitions = new Map<string, PartitionRow>();
  #legacy: { readonly find: StatementSync; readonly prune: StatementSync; readonly any: StatementSync } | undefined;

  /** `maxFingerprints`: tests lower it to see partitions lose their fingerprints. */
  constructor(db: DatabaseSync, maxFingerprints = MAX_FINGERPRINTS) {
    this.#db = db;
    this.#maxFingerprints = maxFingerprints;
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
    // A rolled-back transaction may have dropped a partition and created it again: the table it restored holds keys
    // the new fingerprints lack. Queries answer for every partition from here on; new partitions get fingerprints again.
    this.#fingerprints.clear();
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
    const found = new Set<string>();
    const scratch = this.#scratch;
    let asked: RecordRef[] | undefined;
    // The partition of the record before: the records of a batch mostly share an hour, so most records need only a
    // `startsWith` to know theirs (a record that starts with a valid hour has that hour).
    let hour: string | null = null;
    let row: PartitionRow | undefined;
    let fingerprints: KeyFingerprints | undefined;
    for (const record of records) {
      const { creationTime } = record;
      if (creationTime !== null && this.#legacy === undefined) {
        if (hour === null || !creationTime.startsWith(hour)) {
          hour = creationHour(creationTime);
          const name = `h:${hour ?? ""}`;
          row = this.#partitions.get(name);
          fingerprints = this.#fingerprints.get(name);
        }
        if (hour !== null) {
          if (row === undefined || row.expiresAt <= now) continue;
          if (fingerprints !== undefined && guidKeyInto(record.id, scratch, 0) && !fingerprints.has(keyFingerprint(scratch, 0))) continue;
        }
      }
      (asked ??= []).push(record);
    }
    if (asked !== undefined) this.#query(asked, now, found);
    return found;
  }

  /** Asks the partitions (and version 2's table) for `records`, adding the ids found to `found`. */
  #query(records: readonly RecordRef[], now: number, found: Set<string>): void {
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
  }

  /** Adds the records of `lists` committed at `at`, kept for `horizonMs`; runs inside the caller's transaction. */
  add(lists: readonly (readonly RecordRef[])[], at: number, horizonMs: number): void {
    const expiresAt = at + horizonMs;
    const pending = new Map<string, PendingKeys>();
    const day = new Date(at).toISOString().slice(0, 10);
    // As in `lookup`: the hour of the record before, checked with `startsWith`.
    let hour: string | null = null;
    let keys: PendingKeys | undefined;
    for (const records of lists) {
      for (const { id, creationTime } of records) {
        if (keys === undefined || hour === null || creationTime === null || !creationTime.startsWith(hour)) {
          hour = creationHour(creationTime);
          const name = hour === null ? `n:${day}` : `h:${hour}`;
          keys = pending.get(name);
          if (keys === undefined) {
            keys = new PendingKeys();
            pending.set(name, keys);
          }
        }
        keys.add(id);
      }
    }
    for (const [name, keys] of pending) {
      const row = this.#writable(name, at, expiresAt);
      row.entries += this.#insert(name, keys);
      this.#upsert.run(name, row.expiresAt, row.entries);
    }
    this.#bound();
  }

  /** The partition's row, its table created (or started over, if it is past its expiry) and its expiry moved to `expiresAt`. */
  #writable(name: string, at: number, expiresAt: number): PartitionRow {
    let known = this.#partitions.get(name);
    // A partition past its expiry that prune has not dropped yet starts over, so its old ids do not count again.
    if (known !== undefined && known.expiresAt <= at) {
      this.#drop(name);
      known = undefined;
    }
    if (known === undefined) {
      this.#db.exec(`CREATE TABLE ${table(name)} (id PRIMARY KEY NOT NULL) WITHOUT ROWID`);
      if (name.startsWith("h:")) this.#fingerprints.set(name, new KeyFingerprints());
    }
    const row = { expiresAt: Math.max(known?.expiresAt ?? -Infinity, expiresAt), entries: known?.entries ?? 0 };
    this.#partitions.set(name, row);
    return row;
  }

  /** Inserts the keys into the partition's table; returns how many were new. */
  #insert(name: string, keys: PendingKeys): number {
    const statements = this.#statementsOf(name);
    const fingerprints = this.#fingerprints.get(name);
    if (fingerprints !== undefined) {
      // Most recently written last: `#bound` takes fingerprints away from the front.
      this.#fingerprints.delete(name);
      this.#fingerprints.set(name, fingerprints);
      for (let offset = 0; offset < keys.count * 16; offset += 16) fingerprints.add(keyFingerprint(keys.guids, offset));
    }
    let added = 0;
    if (keys.count > 0) {
      statements.insertMany ??= this.#db.prepare(
        `INSERT OR IGNORE INTO ${table(name)} (id) VALUES ${Array.from({ length: INSERT_CHUNK }, () => "(?)").join(", ")}`,
      );
      const { guids, count } = keys;
      const offsets = keys.sortedOffsets();
      // The same INSERT_CHUNK views every time, over one buffer the chunk's keys are copied into: no view per key.
      // SQLite copies a bound BLOB at once, and the statement runs before the buffer is written again.
      const chunk = this.#chunk;
      for (let start = 0; start < count; start += INSERT_CHUNK) {
        for (let at = 0; at < INSERT_CHUNK; at++) {
          // A partial last chunk is padded with its first key, which `OR IGNORE` skips.
          const from = offsets[start + at < count ? start + at : start] as number;
          for (let byte = 0; byte < 16; byte++) chunk.bytes[at * 16 + byte] = guids[from + byte] as number;
        }
        added += Number(statements.insertMany.run(...chunk.views).changes);
      }
    }
    for (const text of keys.texts) added += Number(statements.insert.run(text).changes);
    return added;
  }

  /** How many fingerprints are held now (the memory `MAX_FINGERPRINTS` bounds). */
  get fingerprintsHeld(): number {
    let held = 0;
    for (const fingerprints of this.#fingerprints.values()) held += fingerprints.size;
    return held;
  }

  /** Keeps the fingerprints held under `MAX_FINGERPRINTS`, taking them from the partitions written longest ago. */
  #bound(): void {
    let held = this.fingerprintsHeld;
    for (const [name, fingerprints] of this.#fingerprints) {
      if (held <= this.#maxFingerprints) break;
      held -= fingerprints.size;
      this.#fingerprints.delete(name);
    }
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
    this.#fingerprints.delete(name);
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

/** One multi-row `INSERT`'s parameters: INSERT_CHUNK views of 16 bytes over one buffer. */
function chunkViews(): { readonly bytes: Uint8Array; readonly views: readonly Uint8Array[] } {
  const bytes = new Uint8Array(INSERT_CHUNK * 16);
  return { bytes, views: Array.from({ length: INSERT_CHUNK }, (_, at) => bytes.subarray(at * 16, at * 16 + 16)) };
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
