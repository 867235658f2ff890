import type { Logger } from "../log/logger.ts";
import { FetchedOutboundRecord } from "../sinks/record-bytes.ts";
import type { OutboundRecord, Sink, SinkCheckpoint } from "../sinks/sink.ts";
import { isAuditfeedError } from "../errors.ts";
import { isSinkError } from "../sinks/sink-error.ts";
import type { ContentDescriptor, ContentType } from "../source/content.ts";
import type { FetchedRecord } from "../source/management-client.ts";
import type { BlobCommit, Commit, RecordRef, StateStore } from "../state/store.ts";
import { listableUntil } from "./windows.ts";

export interface DeliveryLimits {
  /**
   * A group is flushed and committed once it holds this many records (bounds the work a failure throws away, and the
   * ids held in memory: a blob with more new records than this commits in parts).
   */
  readonly maxGroupRecords: number;
  /** ... or once it has been open this long. */
  readonly maxGroupMs: number;
}

export const DEFAULT_DELIVERY_LIMITS: DeliveryLimits = { maxGroupRecords: 50_000, maxGroupMs: 2_000 };

/**
 * A blob whose records a commit made durable (or that it recorded as expired): what reports count. `partial` is a
 * part of a blob too big for one group: its records are committed, the blob is not done yet (a later entry says so).
 */
export interface CommittedBlob {
  readonly contentType: ContentType;
  readonly contentId: string;
  readonly outcome: BlobCommit["outcome"] | "partial";
  /** Records delivered by this blob (by this part of it, for `partial`). */
  readonly records: number;
  /** Records of this blob dropped because they were delivered before (by an earlier blob, run or group). */
  readonly duplicates: number;
  /** UTF-8 bytes of the delivered records' JSON. */
  readonly bytes: number;
}

/** A blob of the open group, with its duplicate count and bytes for the reports. */
interface GroupEntry {
  readonly commit: BlobCommit;
  readonly duplicates: number;
  readonly bytes: number;
}

/**
 * The only place records reach the sink and state is committed, in this order: write → flush (the sink acknowledges)
 * → one atomic state commit of the blobs, their record ids and the sink checkpoint. Blobs are grouped so a flush and
 * a commit serve many small blobs; a blob is committed only in the group where its last record was written.
 *
 * A blob with more new records than a group holds commits in parts: when the group fills up mid-blob, it is flushed
 * and committed with the blob's records so far (`Commit.records`), and the blob goes on in the next group. Memory
 * then follows the group, not the blob. The blob enters the ledger only with its last part; until then it stays
 * pending, and when it is fetched again (after a crash or a failure) the dedupe index drops every record of its
 * committed parts, whatever order or body the API serves it in (docs/ARCHITECTURE.md, "A huge blob commits in parts").
 *
 * Duplicates are dropped here, exactly: against the ids already committed (the store's index) and the ids of the
 * group still in flight (a record can sit in two blobs of the same group).
 */
export class Delivery {
  readonly #sink: Sink;
  readonly #store: StateStore;
  readonly #logger: Logger;
  readonly #limits: DeliveryLimits;
  readonly #now: () => Date;
  /** The open group: blobs whose every new record was written, with their duplicate counts for the reports. */
  #blobs: GroupEntry[] = [];
  #ids = new Set<string>();
  /** What commits made mid-blob since the last `commit` returned (the group's whole blobs, then the part): reported by the next one. */
  #committedEarly: CommittedBlob[] = [];
  #openedAt = 0;
  #committedCheckpoint: SinkCheckpoint | null;
  readonly #onFlush: ((seconds: number) => void) | undefined;

  constructor(options: {
    sink: Sink;
    store: StateStore;
    logger: Logger;
    /** The sink checkpoint of the last state commit (from `StateStore.open`). */
    committedCheckpoint: SinkCheckpoint | null;
    limits?: DeliveryLimits;
    now: () => Date;
    /** Told how long each sink flush took (the sink latency metric). */
    onFlush?: (seconds: number) => void;
  }) {
    this.#onFlush = options.onFlush;
    this.#committedCheckpoint = options.committedCheckpoint;
    this.#sink = options.sink;
    this.#store = options.store;
    this.#logger = options.logger;
    this.#limits = options.limits ?? DEFAULT_DELIVERY_LIMITS;
    this.#now = options.now;
  }

  /** Where the sink must be rolled back to after a failed cycle, as a restart would (see `Collector.cycle`). */
  get committedCheckpoint(): SinkCheckpoint | null {
    return this.#committedCheckpoint;
  }

  /**
   * Streams one blob into the sink and marks a sink savepoint after it. If the blob fails after some of its records
   * were written, only that blob is taken back (the sink rolls back to the savepoint), so the complete blobs before it
   * in the group are still committed and a retry of the failed blob repeats nothing. A sink failure discards the
   * whole group instead: the sink is reopened at the last commit before anything is written again.
   * Resolves with how many records were written; they count as delivered only once `commit` returns them.
   */
  async deliverBlob(descriptor: ContentDescriptor, batches: AsyncIterable<readonly FetchedRecord[]>): Promise<number> {
    if (this.#blobs.length === 0 && this.#ids.size === 0) this.#openedAt = Date.now();
    /** The blob's records since its last committed part (all of them, for a blob that fits in the group). */
    let delivered: RecordRef[] = [];
    let duplicates = 0;
    let bytes = 0;
    let written = 0;
    try {
      for await (const batch of batches) {
        const fresh = await this.#fresh(batch);
        duplicates += batch.length - fresh.length;
        if (fresh.length === 0) continue;
        const outbound: OutboundRecord[] = fresh.map((record) => new FetchedOutboundRecord(record, descriptor.contentType));
        for (const record of fresh) {
          delivered.push({ id: record.id, creationTime: record.creationTime });
          bytes += record.bytes.length;
        }
        await this.#sink.write(outbound);
        written += fresh.length;
        if (this.#ids.size >= this.#limits.maxGroupRecords) {
          await this.#commitPart(descriptor, delivered, duplicates, bytes);
          delivered = [];
          duplicates = 0;
          bytes = 0;
        }
      }
      await this.#sink.savepoint();
    } catch (error) {
      if (stopsTheCycle(error)) await this.discard();
      else if (delivered.length > 0) await this.#takeBack(descriptor, delivered);
      throw error;
    }
    this.#blobs.push({ commit: blobCommit(descriptor, "delivered", delivered), duplicates, bytes });
    return written;
  }

  /** Commits the group with the records of the blob in hand so far; the blob itself goes on in the next group. */
  async #commitPart(descriptor: ContentDescriptor, records: readonly RecordRef[], duplicates: number, bytes: number): Promise<void> {
    const group = await this.#commitGroup({ records });
    // The whole blobs of the group are committed by this step too: the cycle must hear of them, or it would hold its
    // cursor at the first of them and count them nowhere.
    this.#committedEarly.push(...group.map(committedBlob), {
      contentType: descriptor.contentType,
      contentId: descriptor.contentId,
      outcome: "partial",
      records: records.length,
      duplicates,
      bytes,
    });
    this.#logger.debug("Committed part of a blob bigger than a delivery group.", { contentId: descriptor.contentId, records: records.length });
  }

  /** Records that a blob could not be fetched because it expired: it is never listed as pending again. */
  markExpired(descriptor: ContentDescriptor): void {
    this.#blobs.push({ commit: blobCommit(descriptor, "expired", []), duplicates: 0, bytes: 0 });
  }

  /** True when the open group is large or old enough to commit now. */
  get groupFull(): boolean {
    return this.#ids.size >= this.#limits.maxGroupRecords || (this.#blobs.length > 0 && Date.now() - this.#openedAt >= this.#limits.maxGroupMs);
  }

  /**
   * Flush the sink and commit the group (and any cursors and failed blobs) in one atomic state step; returns the blobs
   * committed, after the parts of big blobs committed since the last call.
   */
  async commit(extra: Pick<Commit, "cursors" | "failed"> = {}): Promise<CommittedBlob[]> {
    const group = await this.#commitGroup(extra);
    const early = this.#committedEarly;
    this.#committedEarly = [];
    return [...early, ...group.map(committedBlob)];
  }

  async #commitGroup(extra: Pick<Commit, "cursors" | "failed" | "records">): Promise<GroupEntry[]> {
    const group = this.#blobs;
    const records = this.#ids.size;
    if (group.length === 0 && records === 0 && extra.cursors === undefined && extra.failed === undefined) return [];
    const blobs = group.map((entry) => entry.commit);
    let sinkCheckpoint;
    const flushStarted = performance.now();
    try {
      sinkCheckpoint = await this.#sink.flush();
      this.#onFlush?.((performance.now() - flushStarted) / 1000);
    } catch (error) {
      await this.discard();
      throw error;
    }
    const commit: Commit = { ...extra, blobs, sinkCheckpoint, at: this.#now() };
    try {
      await this.#store.commit(commit);
    } catch (error) {
      // The sink is rolled back to the last commit before the next cycle; a group kept here would then be committed
      // although its records are gone.
      await this.discard();
      throw error;
    }
    this.#committedCheckpoint = sinkCheckpoint;
    this.#blobs = [];
    this.#ids = new Set();
    this.#openedAt = Date.now();
    await this.#sink.committed(sinkCheckpoint);
    this.#logger.debug("Committed a delivery group.", { blobs: blobs.length, records });
    return group;
  }

  /** Forget the uncommitted group, in the sink too. */
  async discard(): Promise<void> {
    const dropped = this.#ids.size;
    this.#blobs = [];
    this.#ids = new Set();
    await this.#sink.discard();
    if (dropped > 0) this.#logger.info("Discarded an uncommitted delivery group; it will be fetched and written again.", { records: dropped });
  }

  /** Takes back the records of a blob that failed half-way; the rest of the group stays. */
  async #takeBack(descriptor: ContentDescriptor, records: readonly RecordRef[]): Promise<void> {
    for (const record of records) this.#ids.delete(record.id);
    await this.#sink.rollback();
    this.#logger.debug("Took back the records of a blob that failed half-way; the blobs before it in the group stay.", {
      contentId: descriptor.contentId,
      records: records.length,
    });
  }

  /**
   * The records of `batch` to write: neither in the open group (nor earlier in the batch) nor committed before. They
   * join the group's ids here, one Set operation per record; the few the store knows leave it again.
   */
  async #fresh(batch: readonly FetchedRecord[]): Promise<FetchedRecord[]> {
    const ids = this.#ids;
    const candidates: FetchedRecord[] = [];
    for (const record of batch) {
      if (ids.has(record.id)) continue;
      ids.add(record.id);
      candidates.push(record);
    }
    if (candidates.length === 0) return candidates;
    let delivered: Set<string>;
    try {
      delivered = await this.#store.deliveredRecords(candidates);
    } catch (error) {
      for (const record of candidates) ids.delete(record.id);
      throw error;
    }
    if (delivered.size === 0) return candidates;
    for (const id of delivered) ids.delete(id);
    return candidates.filter((record) => !delivered.has(record.id));
  }
}

/**
 * A failure of the sink or the state rather than of a blob: the cycle stops, and the sink is reopened at the last
 * commit before the next one, so the whole open group must be forgotten (a group kept would be committed over a sink
 * that no longer holds its records).
 */
export function stopsTheCycle(error: unknown): boolean {
  return isSinkError(error) || (isAuditfeedError(error) && error.code.startsWith("AF_ERR_STATE"));
}

function committedBlob({ commit: blob, duplicates, bytes }: GroupEntry): CommittedBlob {
  return { contentType: blob.contentType, contentId: blob.contentId, outcome: blob.outcome, records: blob.records.length, duplicates, bytes };
}

function blobCommit(descriptor: ContentDescriptor, outcome: BlobCommit["outcome"], records: readonly RecordRef[]): BlobCommit {
  const { contentType, contentId, contentExpiration } = descriptor;
  return { contentType, contentId, contentExpiration, keepUntil: listableUntil(descriptor), records, outcome };
}
