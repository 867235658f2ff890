import type { ContentType } from "../source/content.ts";

/**
 * A record on its way out: its dedupe key, where it came from, and its JSON on one line (no trailing newline).
 * A sink that writes bytes takes them with `recordBytes(record)` (sinks/record-bytes.ts): for a fetched record they
 * are the bytes the API sent, and `json` is then decoded only when read.
 */
export interface OutboundRecord {
  readonly id: string;
  readonly contentType: ContentType;
  readonly json: string;
  /** The record's `CreationTime` (ISO 8601, UTC), or null when it has none: HEC `time`, Sentinel `TimeGenerated`, archive hours. */
  readonly creationTime: string | null;
}

/**
 * Opaque, JSON-serialisable position of a sink after a flush (the file sink: segment and byte offset).
 * The collector stores it in the same atomic state commit as the blobs it covers, and hands it back to `open` after
 * a restart, so a sink that can roll back discards exactly what was written but never committed.
 */
export type SinkCheckpoint = Readonly<Record<string, string | number | boolean | null>>;

/**
 * - `exactly-once`: the sink can roll back to a checkpoint, so a crash between its flush and the state commit
 *   repeats nothing.
 * - `at-least-once`: what a sink flushed but the collector had not committed yet may be delivered again after
 *   a crash (only in that window); records carry `id` so a receiver can drop repeats.
 */
export type DeliveryGuarantee = "exactly-once" | "at-least-once";

/**
 * The contract every sink keeps. The collector calls `open` once, then any number of `write`s followed by a `flush`,
 * and commits state only after `flush` resolved: a record is acknowledged when, and only when, the flush that
 * followed its write resolved. A sink never retries on its own; it throws a `SinkError` and the pipeline decides.
 *
 * Between two flushes the collector writes several blobs, and marks a `savepoint` after each complete one. When a
 * blob then fails half-way (its download broke off, its JSON is malformed), `rollback` takes back only that blob's
 * records, so the complete blobs before it are still flushed and committed (otherwise one bad blob would hold back
 * every blob of its group, cycle after cycle, until they expire).
 */
export interface Sink {
  readonly name: string;
  readonly delivery: DeliveryGuarantee;
  /**
   * Prepare to write; `checkpoint` is the one of the last state commit (null on the first run). An exactly-once sink
   * rolls back to it. With null it cannot prove data already at its destination uncommitted, so it may refuse to
   * start there: the collector therefore commits the starting position, `await sink.flush()` before any write, when
   * the stored checkpoint is null, so that a crash before the first data commit can be rolled back too.
   */
  open(checkpoint: SinkCheckpoint | null): Promise<void>;
  /** Accept records; may buffer them. */
  write(records: readonly OutboundRecord[]): Promise<void>;
  /**
   * Make every record written so far durable or delivered; return the checkpoint that covers them (before any write:
   * where `open` started). The collector commits that checkpoint before it flushes again: after a failed commit it
   * reopens the sink at the last committed checkpoint instead, so at most the last flush can lack a commit, which is
   * what lets a rollback sink tell its uncommitted tail from output a later commit acknowledged.
   */
  flush(): Promise<SinkCheckpoint | null>;
  /**
   * The state commit that stored `checkpoint` (the last flush's) succeeded. A rollback sink records it, so that a
   * state restored from before this commit is refused rather than allowed to roll back what the commit delivered.
   */
  committed(checkpoint: SinkCheckpoint | null): Promise<void>;
  /**
   * Everything written so far belongs to complete blobs: a later `rollback` keeps it for the next `flush`.
   * A sink that sends records before `flush` (a remote one with a full batch) needs nothing here beyond remembering
   * where its buffer stood.
   */
  savepoint(): Promise<void>;
  /**
   * Take back what was written since the last `savepoint` (or the last flush, if that came later); what was written
   * before it stays and is acknowledged by the next `flush`. An `exactly-once` sink drops those records entirely; an
   * `at-least-once` sink drops what it still holds, and records it already sent are delivered again when the blob
   * is retried (its `delivery` guarantee says so).
   */
  rollback(): Promise<void>;
  /** Forget what was written since the last successful flush (after a sink or state failure, before the pipeline retries). */
  discard(): Promise<void>;
  close(): Promise<void>;
}
