import { LISTING_RETENTION_MS, RETENTION_MARGIN_MS } from "../pipeline/windows.ts";
import type { ContentType } from "../source/content.ts";
import { EMPTY_CONTENT_TYPE_STATS, type ContentTypeCursor, type ContentTypeStats, type FailedBlob, type RunStats } from "../state/store.ts";

/** Below this much time left before the 7-day listing horizon, the collector logs an error every cycle. */
export const HORIZON_WARNING_MS = 24 * 3_600_000;

/** A blob quarantined in the state (`FailedBlob.quarantinedAt`): it failed the same way too often and is not fetched again. */
export interface QuarantinedBlob {
  readonly contentId: string;
  readonly contentCreated: string;
  readonly code: string;
  readonly message: string;
  readonly failures: number;
  /** ISO 8601: the first and the last of the identical failures, and when the collector stopped fetching it. */
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
  readonly quarantinedAt: string;
}

/** Where one content type stands, from its cursor and the run statistics the store keeps; durations in milliseconds. */
export interface ContentTypeStatus {
  readonly contentType: ContentType;
  /** Newest `contentCreated` of a delivered blob. */
  readonly newestDelivered: string | null;
  /** Server time now minus `newestDelivered`. */
  readonly lagMs: number | null;
  /** Blobs listed but not delivered when the last cycle ended and still fetched: failing and retried, or not reached before a stop. */
  readonly backlog: number;
  /**
   * The blobs the state holds as quarantined (until the API stops listing them), oldest first: not part of the
   * backlog, since nothing fetches them again; their records are not delivered.
   */
  readonly quarantined: readonly QuarantinedBlob[];
  /** The instant from which content not yet listed starts to fall out of the API's 7-day listing window. */
  readonly horizonAt: string;
  /** `horizonAt` minus now: how long the collector may stay down or stuck before records are lost. */
  readonly horizonLeftMs: number;
  readonly records: number;
  readonly blobs: number;
  readonly duplicates: number;
  readonly expired: number;
  readonly errors: ContentTypeStats["errors"];
  readonly lastCycleAt: string | null;
}

/**
 * Each content type's status at `now` (the server's clock). The horizon: every cycle re-lists from the cursor's
 * `listedThrough` (which never passes a listed blob not attempted yet), and the API lists nothing older than 7 days,
 * so content is lost once `listedThrough` (or the origin, before the first full listing) is older than 7 days (less
 * the safety margin the planner keeps). A blob that keeps failing is remembered and retried from the state instead,
 * until its contentExpiration: that is its horizon, if earlier (`failed`; quarantined blobs are no longer tried).
 */
export function contentTypeStatuses(
  cursors: Readonly<Partial<Record<ContentType, ContentTypeCursor>>>,
  stats: RunStats,
  contentTypes: readonly ContentType[],
  now: Date,
  failed: readonly FailedBlob[] = [],
): ContentTypeStatus[] {
  return contentTypes.map((contentType) => {
    const cursor = cursors[contentType];
    const figures = stats.contentTypes[contentType] ?? EMPTY_CONTENT_TYPE_STATS;
    const listedFrom = cursor === undefined ? now : new Date(cursor.listedThrough ?? cursor.origin);
    const expirations = failed
      .filter((entry) => entry.descriptor.contentType === contentType && entry.quarantinedAt === null)
      .map((entry) => Date.parse(entry.descriptor.contentExpiration))
      .filter(Number.isFinite);
    const horizonAt = new Date(Math.min(listedFrom.getTime() + LISTING_RETENTION_MS - RETENTION_MARGIN_MS, ...expirations));
    const quarantined = failed
      .filter((entry) => entry.descriptor.contentType === contentType && entry.quarantinedAt !== null && Date.parse(entry.keepUntil) > now.getTime())
      .map(quarantinedBlob)
      .sort((a, b) => a.contentCreated.localeCompare(b.contentCreated) || a.contentId.localeCompare(b.contentId));
    const newest = figures.newestDelivered;
    return {
      contentType,
      newestDelivered: newest,
      lagMs: newest === null ? null : now.getTime() - Date.parse(newest),
      backlog: figures.backlog,
      quarantined,
      horizonAt: horizonAt.toISOString(),
      horizonLeftMs: horizonAt.getTime() - now.getTime(),
      records: figures.records,
      blobs: figures.blobs,
      duplicates: figures.duplicates,
      expired: figures.expired,
      errors: figures.errors,
      lastCycleAt: figures.lastCycleAt,
    };
  });
}

function quarantinedBlob(entry: FailedBlob): QuarantinedBlob {
  return {
    contentId: entry.descriptor.contentId,
    contentCreated: entry.descriptor.contentCreated,
    code: entry.code,
    message: entry.message,
    failures: entry.failures,
    firstFailedAt: entry.firstFailedAt,
    lastFailedAt: entry.lastFailedAt,
    quarantinedAt: entry.quarantinedAt as string,
  };
}
