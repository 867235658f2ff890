import { AuditfeedError } from "../../errors.ts";
import type { SinkCheckpoint } from "../../sinks/sink.ts";
import { isContentType, type ContentType } from "../../source/content.ts";
import type { ContentTypeCursor, FailedBlob, RunStats } from "../store.ts";

/**
 * The layout this code writes (see docs/ARCHITECTURE.md, "State in Azure Blob storage"). Version 2 writes partition
 * blobs sorted (entries.ts, "AFP1"); a version-1 state is read as it is (its partition blobs in the older form) and
 * becomes version 2 with its next commit. An auditfeed that knows only version 1 refuses a version-2 state by name.
 */
export const HEAD_FORMAT = "auditfeed-state";
export const HEAD_VERSION = 2;
const READABLE_VERSIONS: readonly number[] = [1, HEAD_VERSION];

/** A partition blob the head points at. */
export interface PartitionRef {
  readonly blob: string;
  readonly entries: number;
  /** Latest expiry of its entries (epoch ms): the whole partition goes once this has passed. */
  readonly expiresAt: number;
}

/**
 * The small, hot state blob, rewritten by every commit under the lease: it is the commit point. Everything it names
 * is immutable; a commit's index entries sit in a commit blob until a compaction folds them into partitions.
 */
export interface Head {
  readonly format: typeof HEAD_FORMAT;
  readonly version: number;
  /** Incremented by every write, so an answer lost in transit can be told from a write that never happened. */
  readonly serial: number;
  readonly sinkCheckpoint: SinkCheckpoint | null;
  readonly cursors: Readonly<Partial<Record<ContentType, ContentTypeCursor>>>;
  /** The run statistics of `auditfeed status`, kept as the collector wrote them (absent until the first cycle). */
  readonly stats?: RunStats;
  /** The failed blobs (`StateStore.failedBlobs`), by contentId; absent in a head written before they existed. */
  readonly failed: readonly FailedBlob[];
  readonly partitions: Readonly<Record<string, PartitionRef>>;
  /** Commit blobs not yet folded into partitions, oldest first. */
  readonly commits: readonly string[];
  /** Blobs nothing points at any more, deleted after this head is written (again after a crash). */
  readonly garbage: readonly string[];
  /**
   * Epoch ms of the latest prune: ledger entries that expired by then no longer count, also while they still sit in a
   * partition blob beside live ones (its next rewrite drops them). Absent until the first prune.
   */
  readonly prunedThrough?: number;
  /** Epoch ms (the collector's clock) of the latest sweep for orphaned blobs (sweep.ts); absent until the first. */
  readonly sweptAt?: number;
}

export function emptyHead(): Head {
  return { format: HEAD_FORMAT, version: HEAD_VERSION, serial: 0, sinkCheckpoint: null, cursors: {}, failed: [], partitions: {}, commits: [], garbage: [] };
}

export function parseHead(bytes: Buffer, where: string): Head {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const head = parsed as Partial<Head> | undefined;
  if (head?.format !== HEAD_FORMAT || typeof head.serial !== "number" || typeof head.partitions !== "object" || !Array.isArray(head.commits)) {
    throw new AuditfeedError(
      "AF_ERR_STATE_UNREADABLE",
      `State blob ${where} was not written by auditfeed. Point AUDITFEED_STATE at auditfeed's state, or at a new prefix to start over (which re-delivers the look-back window).`,
    );
  }
  if (!READABLE_VERSIONS.includes(head.version as number)) {
    throw new AuditfeedError(
      "AF_ERR_STATE_SCHEMA",
      `State blob ${where} has format version ${String(head.version)}, but this auditfeed understands only versions ${READABLE_VERSIONS.join(" and ")}: it was written by a newer auditfeed. Run that version (or newer), or point AUDITFEED_STATE at a new prefix to start over (which re-delivers the look-back window).`,
    );
  }
  const cursors: Partial<Record<ContentType, ContentTypeCursor>> = {};
  for (const [contentType, cursor] of Object.entries(head.cursors ?? {})) if (isContentType(contentType)) cursors[contentType] = cursor;
  return { ...(head as Head), cursors, failed: Array.isArray(head.failed) ? head.failed : [], garbage: head.garbage ?? [] };
}
