import type { SinkCheckpoint } from "../sinks/sink.ts";
import type { ContentDescriptor, ContentType } from "../source/content.ts";

/** What the collector remembers per content type between runs. Times are ISO 8601 UTC strings. */
export interface ContentTypeCursor {
  /** Start of the first run's look-back: nothing older is this collector's to deliver. */
  readonly origin: string;
  /** Every window up to here was listed completely at least once (re-listed again within the overlap). */
  readonly listedThrough: string | null;
  /** Last `subscriptions/start` request, so the 15-minute spacing holds across runs of `auditfeed once`. */
  readonly subscriptionStartedAt: string | null;
}

/**
 * A record as the state sees it: its dedupe key, and its `CreationTime` as the API wrote it (null when absent).
 * A record's duplicate has the same `CreationTime`, so a store may partition its index by it and look in one place.
 */
export interface RecordRef {
  readonly id: string;
  readonly creationTime: string | null;
}

/** A listed blob as the ledger is asked about it; `contentExpiration` lets a store look in one partition. */
export type BlobRef = Pick<ContentDescriptor, "contentId" | "contentExpiration">;

/** A blob the collector is done with: every new record of it was acknowledged by the sink (or it had expired). */
export interface BlobCommit {
  readonly contentType: ContentType;
  readonly contentId: string;
  /** ISO 8601, from the listing: a store may partition the ledger by it (lookups carry it too, as `BlobRef`). */
  readonly contentExpiration: string;
  /**
   * ISO 8601: the ledger entry is kept until then, the last instant the API may list the blob again: listing goes
   * back 7 days on contentCreated, also for a blob already expired, and a contentExpiration later than that is kept
   * too. Pruning at contentExpiration instead made a blob listed as already expired count as lost every cycle.
   */
  readonly keepUntil: string;
  /** The records this blob delivered (not the ones skipped as duplicates). */
  readonly records: readonly RecordRef[];
  readonly outcome: "delivered" | "expired";
}

/**
 * The figures `auditfeed status` shows per content type, kept in the state store across runs. Counters are totals
 * since the state was created; the rest is what the latest cycle saw.
 */
export interface ContentTypeStats {
  readonly records: number;
  readonly blobs: number;
  readonly duplicates: number;
  /** Blobs that expired before they could be fetched (their records are lost). */
  readonly expired: number;
  /** Newest `contentCreated` of a delivered blob (ISO 8601). */
  readonly newestDelivered: string | null;
  /** Blobs listed but not delivered when the latest cycle ended (failed, or not reached before a stop). */
  readonly backlog: number;
  /** Server time of the latest cycle that included this content type. */
  readonly lastCycleAt: string | null;
  /** Per error code: how often it was seen, when last, and its last message. */
  readonly errors: Readonly<Record<string, { readonly count: number; readonly lastAt: string; readonly message: string }>>;
}

/** Run statistics: per content type, plus the Management API's throttling and retries for the tenant. */
export interface RunStats {
  readonly contentTypes: Readonly<Partial<Record<ContentType, ContentTypeStats>>>;
  /** Responses that throttled the tenant (AF429 or 429). */
  readonly throttled: number;
  /** Requests sent again after a transient failure or throttling. */
  readonly retries: number;
  /** Server clock minus local clock at the latest cycle, so that `status` can tell the server's time offline. */
  readonly clockSkewMs: number;
}

/**
 * A blob that failed and is still owed. It is remembered with its descriptor, so it is retried from the state and never
 * holds a cursor back (it need not be listed again, and is fetched until its contentExpiration even when it can no
 * longer be listed). It leaves when a commit lists it in `blobs` (delivered, or expired), or when `keepUntil` passes.
 */
export interface FailedBlob {
  readonly descriptor: ContentDescriptor;
  /** The error code of its last failure, and how many failures in a row had that code (counted across runs). */
  readonly code: string;
  readonly message: string;
  readonly failures: number;
  /** ISO 8601: the first failure of the run of identical ones, and the last. */
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
  /** ISO 8601 once quarantined: it failed the same way too often, is not fetched again, and is reported every cycle. */
  readonly quarantinedAt: string | null;
  /** ISO 8601: remembered until then, like a ledger entry (`BlobCommit.keepUntil`). */
  readonly keepUntil: string;
}

/** One atomic step: all of it is durable, or none of it is. */
export interface Commit {
  /** Blobs done with; each also leaves the failed blobs. */
  readonly blobs: readonly BlobCommit[];
  /**
   * Records delivered from a blob not complete yet: a blob too big for one group commits in parts, and these are the
   * records of its parts so far. They join the dedupe index like a blob's records, but the blob stays out of the
   * ledger until a later commit lists it in `blobs`; if it is fetched again before that, the index drops every record
   * of its committed parts (see docs/ARCHITECTURE.md, "A huge blob commits in parts").
   */
  readonly records?: readonly RecordRef[];
  /** Failed blobs to remember, replacing what was remembered for the same contentId. */
  readonly failed?: readonly FailedBlob[];
  /** The sink's position after the flush that acknowledged these blobs' records (omitted: unchanged). */
  readonly sinkCheckpoint?: SinkCheckpoint | null;
  readonly cursors?: Readonly<Partial<Record<ContentType, ContentTypeCursor>>>;
  /** The run statistics as they stand now, replacing the stored ones (omitted: unchanged). */
  readonly stats?: RunStats;
  /** Commit time; record ids are deduplicated against for `dedupeHorizonMs` after it. */
  readonly at: Date;
}

export interface StateSnapshot {
  readonly sinkCheckpoint: SinkCheckpoint | null;
  readonly cursors: Readonly<Partial<Record<ContentType, ContentTypeCursor>>>;
  /** The last committed run statistics; `EMPTY_RUN_STATS` for a new store. */
  readonly stats: RunStats;
}

export const EMPTY_CONTENT_TYPE_STATS: ContentTypeStats = {
  records: 0,
  blobs: 0,
  duplicates: 0,
  expired: 0,
  newestDelivered: null,
  backlog: 0,
  lastCycleAt: null,
  errors: {},
};

export const EMPTY_RUN_STATS: RunStats = { contentTypes: {}, throttled: 0, retries: 0, clockSkewMs: 0 };

/**
 * Durable collector state: cursors, the delivered-blob ledger, the record-id dedupe index and the sink checkpoint.
 * Implementations: SQLite on local disk (default); Azure Blob storage for the ephemeral Container Apps Job
 * (`createStateStore` in index.ts picks one from the configuration).
 */
export interface StateStore {
  /**
   * Open (creating if needed) and read what small state there is. Fails with `AF_ERR_STATE_LOCKED` if another
   * collector holds the state, before anything is fetched or delivered.
   */
  open(): Promise<StateSnapshot>;
  /** The content ids of `blobs` already committed. */
  committedBlobs(blobs: readonly BlobRef[]): Promise<Set<string>>;
  /** Every failed blob remembered (few: a blob is here only while it keeps failing). */
  failedBlobs(): Promise<FailedBlob[]>;
  /** The ids of `records` already delivered within the dedupe horizon. */
  deliveredRecords(records: readonly RecordRef[]): Promise<Set<string>>;
  /**
   * Make the commit durable, all of it or none. Fails with `AF_ERR_STATE_LEASE_LOST` once this collector can no
   * longer prove it is the only writer (then no later commit succeeds either).
   */
  commit(commit: Commit): Promise<void>;
  /** Drop ledger entries and failed blobs past their `keepUntil` and record ids past the horizon; returns how many went. */
  prune(now: Date): Promise<{ readonly blobs: number; readonly records: number; readonly failed: number }>;
  close(): Promise<void>;
}
