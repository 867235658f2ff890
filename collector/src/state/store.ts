import type { SinkCheckpoint } from "../sinks/sink.ts";
import type { ContentType } from "../source/content.ts";

/** What the collector remembers per content type between runs. Times are ISO 8601 UTC strings. */
export interface ContentTypeCursor {
  /** Start of the first run's look-back: nothing older is this collector's to deliver. */
  readonly origin: string;
  /** Every window up to here was listed completely at least once (re-listed again within the overlap). */
  readonly listedThrough: string | null;
  /** Last `subscriptions/start` request, so the 15-minute spacing holds across runs of `auditfeed once`. */
  readonly subscriptionStartedAt: string | null;
}

/** A blob the collector is done with: every new record of it was acknowledged by the sink (or it had expired). */
export interface BlobCommit {
  readonly contentType: ContentType;
  readonly contentId: string;
  /** Ledger entries are kept until then: a blob can only be listed again while it can still be fetched. */
  readonly contentExpiration: string;
  /** Ids of the records this blob delivered (not the ones skipped as duplicates). */
  readonly recordIds: readonly string[];
  readonly outcome: "delivered" | "expired";
}

/** One atomic step: all of it is durable, or none of it is. */
export interface Commit {
  readonly blobs: readonly BlobCommit[];
  /** The sink's position after the flush that acknowledged these blobs' records (omitted: unchanged). */
  readonly sinkCheckpoint?: SinkCheckpoint | null;
  readonly cursors?: Readonly<Partial<Record<ContentType, ContentTypeCursor>>>;
  /** Commit time; record ids are deduplicated against for `dedupeHorizonMs` after it. */
  readonly at: Date;
}

export interface StateSnapshot {
  readonly sinkCheckpoint: SinkCheckpoint | null;
  readonly cursors: Readonly<Partial<Record<ContentType, ContentTypeCursor>>>;
}

/**
 * Durable collector state: cursors, the delivered-blob ledger, the record-id dedupe index and the sink checkpoint.
 * One implementation exists: SQLite on local disk (sqlite-store.ts). The ephemeral Container Apps Job needs one in
 * Azure Blob storage, which does not exist yet; it must keep this same contract.
 */
export interface StateStore {
  /** Open (creating if needed) and read what small state there is. Fails with a clear error if another process holds it. */
  open(): Promise<StateSnapshot>;
  /** The subset of `contentIds` already committed. */
  committedBlobs(contentIds: readonly string[]): Promise<Set<string>>;
  /** The subset of `recordIds` already delivered within the dedupe horizon. */
  deliveredRecords(recordIds: readonly string[]): Promise<Set<string>>;
  commit(commit: Commit): Promise<void>;
  /** Drop ledger entries past their contentExpiration and record ids past the horizon; returns how many went. */
  prune(now: Date): Promise<{ readonly blobs: number; readonly records: number }>;
  close(): Promise<void>;
}
