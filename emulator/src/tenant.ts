import { createHash } from "node:crypto";
import type { ContentType } from "../../collector/src/source/content.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { errors } from "./api/af-errors.ts";
import type { ApiError } from "./api/af-errors.ts";
import { formatContentId, shardOf } from "./content/content-id.ts";
import { generateRecord } from "./content/records.ts";
import { Timeline } from "./content/timeline.ts";
import type { Blob, ListPosition, RecordRef } from "./content/timeline.ts";
import type { ResolvedTenant } from "./options.ts";
import { fraction, hashInts, hashString } from "./random.ts";
import { Subscriptions } from "./subscriptions.ts";

const HOUR_MS = 3_600_000;

export interface GroundTruthQuery {
  from: Date;
  to?: Date;
  contentTypes?: ContentType[];
}

export interface GroundTruth {
  ids: Set<string>;
  count: number;
  /** Records a collector can obtain that have no `Id` (from `missing-id` blobs): delivered, but not among `ids`. */
  withoutId: number;
  /** SHA-256 (hex) of the sorted ids joined by "\n": compare with `digestRecordIds` over what a collector delivered. */
  digest: string;
}

/** The digest `groundTruth` reports, for the same computation over delivered record ids. */
export function digestRecordIds(ids: Iterable<string>): string {
  return createHash("sha256")
    .update([...ids].sort().join("\n"))
    .digest("hex");
}

/** One emulated tenant: its content timelines, subscriptions, request budget and fault dice. */
export class TenantState {
  readonly options: ResolvedTenant;
  readonly key: number;
  readonly shard: string;
  readonly subscriptions: Subscriptions;
  readonly #timelines: Map<ContentType, Timeline>;
  #budgetMinute = -1;
  #budgetUsed = 0;
  #requestCount = 0;

  constructor(options: ResolvedTenant, seed: number, startMs: number) {
    this.options = options;
    this.key = hashInts(seed, hashString(options.tenantId));
    this.shard = shardOf(this.key);
    const originMs = startMs - options.historyHours * HOUR_MS;
    this.#timelines = new Map(
      CONTENT_TYPES.map((contentType, typeIndex) => [
        contentType,
        new Timeline({
          contentType,
          key: hashInts(this.key, typeIndex),
          originMs,
          eventsPerHour: options.eventsPerHour[contentType],
          recordsPerBlob: options.recordsPerBlob,
          lateBlobRate: options.faults.lateBlobRate,
          lateBlobDelayMs: options.faults.lateBlobDelayMinutes * 60_000,
          duplicateRecordRate: options.faults.duplicateRecordRate,
          outOfOrder: options.faults.outOfOrder,
          expiredBlobRate: options.faults.expiredBlobRate,
          poisoned: options.faults.poisonContentUri !== undefined,
          malformedBlobRate: options.faults.malformedBlobRate,
          malformedBlobKinds: options.faults.malformedBlobKinds,
        }),
      ]),
    );
    this.subscriptions = new Subscriptions({
      enabled: options.subscribed,
      historyStartMs: originMs,
      firstDataDelayMs: options.faults.firstDataDelayMinutes * 60_000,
    });
  }

  timeline(contentType: ContentType): Timeline {
    const timeline = this.#timelines.get(contentType);
    if (timeline === undefined) throw new RangeError(`Unknown content type ${contentType}.`);
    return timeline;
  }

  /** Blobs visible through the subscription, listable at `nowMs`, created in [fromMs, toMs), in listing order. */
  *listable(contentType: ContentType, fromMs: number, toMs: number, nowMs: number, after?: ListPosition): Generator<Blob> {
    const floorMs = this.subscriptions.floorMs(contentType);
    if (floorMs === undefined) return;
    yield* this.timeline(contentType).listable(Math.max(fromMs, floorMs), toMs, nowMs, after);
  }

  contentId(contentType: ContentType, blob: Blob): string {
    return formatContentId(contentType, blob.createdMs, this.shard);
  }

  /** The blob a fetch names, or the API error for it. */
  fetchable(contentType: ContentType, createdMs: number, shard: string, contentId: string, nowMs: number): Blob | ApiError {
    const floorMs = this.subscriptions.floorMs(contentType);
    if (floorMs === undefined) return errors.noSubscription();
    const index = shard === this.shard ? this.timeline(contentType).indexCreatedAt(createdMs) : undefined;
    if (index === undefined || createdMs < floorMs) return errors.contentMissing(contentId);
    const blob = this.timeline(contentType).blob(index);
    if (blob.availableMs > nowMs) return errors.contentMissing(contentId);
    if (blob.expirationMs <= nowMs) return errors.contentExpired(contentId);
    return blob;
  }

  /** The records of a blob, generated on demand. */
  *blobRecords(contentType: ContentType, blobIndex: number): Generator<Record<string, unknown>> {
    const timeline = this.timeline(contentType);
    for (const ref of timeline.records(blobIndex)) yield this.record(timeline, ref);
  }

  private record(timeline: Timeline, ref: RecordRef): Record<string, unknown> {
    return generateRecord(timeline.settings.contentType, {
      id: timeline.recordId(ref),
      eventMs: timeline.eventMs(ref),
      tenantId: this.options.tenantId,
      seed: hashInts(timeline.settings.key, ref.blob, ref.record, 9),
    });
  }

  /**
   * Unique ids of the records a correct collector can obtain: in blobs listable now through enabled subscriptions,
   * created in [from, to), not yet expired, not behind a poisoned contentUri (a collector must refuse to send its
   * token to another host, so those blobs cannot be fetched), and not in a malformed blob (a collector must not
   * deliver part of a blob it cannot read whole), except a `missing-id` one, whose record without `Id` is counted apart.
   */
  groundTruth(query: GroundTruthQuery, nowMs: number): GroundTruth {
    const ids = new Set<string>();
    let withoutId = 0;
    const toMs = Math.min(query.to?.getTime() ?? Infinity, nowMs + 1);
    for (const contentType of query.contentTypes ?? CONTENT_TYPES) {
      const timeline = this.timeline(contentType);
      for (const blob of this.listable(contentType, query.from.getTime(), toMs, nowMs)) {
        if (blob.expirationMs <= nowMs || blob.poisoned || (blob.malformed !== undefined && blob.malformed !== "missing-id")) continue;
        const broken = blob.malformed === "missing-id" ? timeline.brokenRecord(blob.index) : undefined;
        for (const ref of timeline.records(blob.index)) {
          if (broken !== undefined && ref.blob === broken.blob && ref.record === broken.record) withoutId++;
          else ids.add(timeline.recordId(ref));
        }
      }
    }
    return { ids, count: ids.size, withoutId, digest: digestRecordIds(ids) };
  }

  /** Counts a request against the per-minute budget (wall clock); true when it is over budget. */
  overBudget(wallMs: number): { over: false } | { over: true; secondsToReset: number; used: number } {
    const minute = Math.floor(wallMs / 60_000);
    if (minute !== this.#budgetMinute) {
      this.#budgetMinute = minute;
      this.#budgetUsed = 0;
    }
    this.#budgetUsed += 1;
    if (this.#budgetUsed <= this.options.requestsPerMinute) return { over: false };
    return { over: true, secondsToReset: ((minute + 1) * 60_000 - wallMs) / 1000, used: this.#budgetUsed };
  }

  /** The seeded fault dice for the next request: the same request sequence meets the same faults. */
  rollFault(): "AF50000" | "AF429-403" | "AF429-429" | undefined {
    const n = (this.#requestCount += 1);
    const { transientErrorRate, throttleRate } = this.options.faults;
    if (transientErrorRate > 0 && fraction(this.key, n, 11) < transientErrorRate) return "AF50000";
    if (throttleRate > 0 && fraction(this.key, n, 12) < throttleRate) return fraction(this.key, n, 13) < 0.5 ? "AF429-403" : "AF429-429";
    return undefined;
  }
}
