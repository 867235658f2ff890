import { isAuditfeedError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { ContentDescriptor, ContentType } from "../source/content.ts";
import type { FetchedRecord, ManagementClient } from "../source/management-client.ts";
import type { ContentTypeCursor, StateStore } from "../state/store.ts";
import { stopsTheCycle, type Delivery } from "./delivery.ts";
import { prefetchInOrder } from "./prefetch.ts";
import { ensureSubscriptions } from "./subscriptions.ts";
import { planWindows, type Window } from "./windows.ts";

export interface CycleSettings {
  readonly contentTypes: readonly ContentType[];
  readonly lookbackMs: number;
  readonly overlapMs: number;
  readonly fetchConcurrency: number;
  /** Per blob in flight; bounds memory at fetchConcurrency x this. */
  readonly maxBufferedBytesPerBlob: number;
}

export interface CycleOptions {
  /** `backfill --since`: list from here this cycle, whatever the cursor says. */
  readonly since?: Date;
  /**
   * Stop now: every request, wait and retry of the cycle ends at once; the blobs delivered completely are committed,
   * the one cut off is not, and the cycle returns `interrupted`. Its reason says why (logged).
   */
  readonly stop?: AbortSignal;
  readonly onProgress?: (progress: CycleProgress) => void;
}

export interface CycleProgress {
  readonly blobsPlanned: number;
  readonly blobsDone: number;
  readonly records: number;
}

/** What a cycle did for one content type; blobs, records, duplicates and expired count what it committed. */
export interface ContentTypeReport {
  readonly contentType: ContentType;
  /** Blobs listed in this cycle's windows (including ones delivered by earlier cycles). */
  listed: number;
  /** Blobs delivered now. */
  blobs: number;
  records: number;
  duplicates: number;
  expired: number;
  /** Blobs that failed and stay pending for the next cycle. */
  failed: number;
  /** Blobs listed and not delivered when the cycle ended: the failed ones and those a stop left unreached. */
  pending: number;
  /** Newest `contentCreated` among the blobs delivered now. */
  newestDelivered?: string;
  error?: { readonly code: string; readonly message: string };
  /** The last blob failure of the cycle (the content type as a whole may still have succeeded). */
  blobError?: { readonly code: string; readonly message: string };
  gap?: Window;
  /** What this cycle listed, when it listed anything: [start of the first window, end of the last). */
  range?: Window;
}

export interface CycleReport {
  readonly contentTypes: readonly ContentTypeReport[];
  readonly interrupted: boolean;
}

interface Listed {
  readonly contentType: ContentType;
  readonly cursor: ContentTypeCursor;
  readonly end: Date;
  readonly pending: ContentDescriptor[];
}

/** Blob chunks carry their size so the prefetcher can bound memory. */
interface SizedBatch {
  readonly records: readonly FetchedRecord[];
  readonly bytes: number;
}

function describe(error: unknown): { code: string; message: string } {
  if (isAuditfeedError(error)) return { code: error.code, message: error.message };
  return { code: "AF_ERR_UNEXPECTED", message: error instanceof Error ? error.message : String(error) };
}

/** A failure that repeats until someone changes something (a permission, audit logging, the configuration). */
function needsSomeoneToAct(error: unknown): boolean {
  return isAuditfeedError(error) && !error.retryable;
}

async function* sized(batches: AsyncIterable<readonly FetchedRecord[]>): AsyncGenerator<SizedBatch> {
  for await (const records of batches) {
    let bytes = 0;
    for (const record of records) bytes += record.json.length + record.id.length;
    yield { records, bytes };
  }
}

async function* unsized(chunks: AsyncIterable<SizedBatch>): AsyncGenerator<readonly FetchedRecord[]> {
  for await (const chunk of chunks) yield chunk.records;
}

/** What a cycle uses of the Management API client. */
export type CycleClient = Pick<ManagementClient, "listSubscriptions" | "startSubscription" | "listContent" | "fetchContent" | "serverNow">;

/**
 * One pass over every configured content type: make sure subscriptions are on, list what the plan covers, and deliver
 * every blob not yet in the ledger, oldest first (nearest to expiry). A content type's cursor only moves up to the
 * earliest blob that is still pending, so a blob that failed stays inside the re-listed range until it is delivered.
 */
export async function runCycle(
  deps: { client: CycleClient; store: StateStore; delivery: Delivery; logger: Logger },
  cursors: Partial<Record<ContentType, ContentTypeCursor>>,
  settings: CycleSettings,
  options: CycleOptions = {},
): Promise<CycleReport> {
  const { client, store, delivery, logger } = deps;
  const reports = new Map<ContentType, ContentTypeReport>(
    settings.contentTypes.map((contentType) => [
      contentType,
      { contentType, listed: 0, blobs: 0, records: 0, duplicates: 0, expired: 0, failed: 0, pending: 0 },
    ]),
  );
  const report = (contentType: ContentType): ContentTypeReport => reports.get(contentType) as ContentTypeReport;
  const { stop } = options;
  const stopped = (): boolean => stop?.aborted === true;
  // Before delivery starts nothing is committed, so a stop there simply ends the cycle.
  const stoppedEarly = (): CycleReport => {
    logStop(logger, stop, "before delivering anything; nothing was committed");
    return { contentTypes: [...reports.values()], interrupted: true };
  };

  let subscriptions;
  try {
    subscriptions = await ensureSubscriptions(client, settings.contentTypes, cursors, () => client.serverNow(), logger, stop);
  } catch (error) {
    if (stopped()) return stoppedEarly();
    throw error;
  }
  const listed: Listed[] = [];
  const firstCursors: Partial<Record<ContentType, ContentTypeCursor>> = {};
  for (const contentType of settings.contentTypes) {
    if (stopped()) return stoppedEarly();
    const state = subscriptions.get(contentType);
    const log = logger.child({ contentType });
    if (!state?.ready) {
      const error = state?.error === undefined ? { code: "AF_ERR_SUBSCRIPTION_PENDING", message: state?.reason ?? "no subscription" } : describe(state.error);
      report(contentType).error = error;
      // Audit logging off, a missing permission: nothing is collected until someone acts, which is an error.
      if (needsSomeoneToAct(state?.error)) log.error("Skipping the content type this cycle.", { reason: state?.reason, error });
      else log.warn("Skipping the content type this cycle.", { reason: state?.reason, error });
      continue;
    }
    const now = client.serverNow();
    const plan = planWindows({
      cursor: cursors[contentType],
      now,
      lookbackMs: settings.lookbackMs,
      overlapMs: settings.overlapMs,
      ...(options.since ? { since: options.since } : {}),
    });
    const previous = cursors[contentType];
    const cursor: ContentTypeCursor = {
      origin: plan.origin.toISOString(),
      listedThrough: previous?.listedThrough ?? null,
      subscriptionStartedAt: state.startedAt?.toISOString() ?? previous?.subscriptionStartedAt ?? null,
    };
    if (previous === undefined) firstCursors[contentType] = cursor;
    if (plan.gap) {
      report(contentType).gap = plan.gap;
      log.error(
        "Content created in this interval can no longer be listed (the API keeps 7 days); it was not collected. Use Purview audit search or the Graph audit query API to recover it.",
        {
          gapStart: plan.gap.start.toISOString(),
          gapEnd: plan.gap.end.toISOString(),
        },
      );
    }
    try {
      const seen = new Map<string, ContentDescriptor>();
      for (const window of plan.windows) {
        for await (const page of client.listContent(contentType, window, stop)) {
          for (const descriptor of page) seen.set(descriptor.contentId, descriptor);
        }
      }
      const all = [...seen.values()];
      const committed = await store.committedBlobs(all);
      report(contentType).listed = all.length;
      const end = plan.windows.at(-1)?.end ?? now;
      const first = plan.windows[0];
      if (first) report(contentType).range = { start: first.start, end };
      listed.push({ contentType, cursor, end, pending: all.filter((descriptor) => !committed.has(descriptor.contentId)) });
    } catch (error) {
      if (stopped()) return stoppedEarly();
      if (isAuditfeedError(error) && error.code.startsWith("AF_ERR_STATE")) throw error;
      report(contentType).error = describe(error);
      if (needsSomeoneToAct(error)) log.error("Listing content failed; the content type is retried next cycle.", { error });
      else log.warn("Listing content failed; the content type is retried next cycle.", { error });
      cursors[contentType] = cursor;
    }
  }

  // A first run's origin is made durable before anything of its range is delivered. Otherwise a cycle that fails or
  // is killed after some commits is planned again from a later origin (now - look-back), and the records between the
  // first origin and the new one that were not yet delivered are silently skipped.
  if (Object.keys(firstCursors).length > 0) {
    await delivery.commit(firstCursors);
    Object.assign(cursors, firstCursors);
  }

  const now = client.serverNow();
  const queue: ContentDescriptor[] = [];
  for (const { contentType, pending } of listed) {
    let expired = 0;
    for (const descriptor of pending) {
      if (new Date(descriptor.contentExpiration) <= now) {
        delivery.markExpired(descriptor);
        expired++;
      } else queue.push(descriptor);
    }
    if (expired > 0) logger.error("Blobs expired before they could be fetched; their records are lost to this collector.", { contentType, blobs: expired });
  }
  queue.sort((a, b) => a.contentCreated.localeCompare(b.contentCreated) || a.contentId.localeCompare(b.contentId));

  // Reports count what a commit made durable: a group discarded after a failure is redone, not counted twice.
  const committed = new Set<string>();
  const createdOf = new Map(queue.map((descriptor) => [descriptor.contentId, descriptor.contentCreated]));
  const progress = { blobsPlanned: queue.length, blobsDone: 0, records: 0 };
  const commitGroup = async (): Promise<void> => {
    for (const blob of await delivery.commit()) {
      committed.add(blob.contentId);
      const entry = report(blob.contentType);
      if (blob.outcome === "expired") entry.expired++;
      else {
        entry.blobs++;
        entry.records += blob.records;
        entry.duplicates += blob.duplicates;
        const created = createdOf.get(blob.contentId);
        if (created !== undefined && (entry.newestDelivered === undefined || created > entry.newestDelivered)) entry.newestDelivered = created;
      }
    }
  };
  let interrupted = false;
  const blobs = prefetchInOrder(queue, (descriptor, signal) => sized(client.fetchContent(descriptor, signal)), {
    concurrency: settings.fetchConcurrency,
    maxBufferedBytes: settings.maxBufferedBytesPerBlob,
    signal: stop,
  });
  for await (const { source: descriptor, chunks } of blobs) {
    if (stopped()) {
      interrupted = true;
      break;
    }
    try {
      progress.records += await delivery.deliverBlob(descriptor, unsized(chunks));
    } catch (error) {
      // The blob cut off by the stop is not committed (Delivery discarded what it wrote) and stays pending.
      if (stopped()) {
        interrupted = true;
        break;
      }
      if (isAuditfeedError(error) && error.code === "AF_ERR_CONTENT_GONE") {
        delivery.markExpired(descriptor);
        logger.error("A listed blob could not be fetched any more; its records are lost to this collector.", {
          contentType: descriptor.contentType,
          contentId: descriptor.contentId,
          error,
        });
      } else if (stopsTheCycle(error)) {
        // The sink or the state failed, not this blob: the whole cycle stops.
        throw error;
      } else {
        report(descriptor.contentType).failed++;
        report(descriptor.contentType).blobError = describe(error);
        logger.warn("Fetching a blob failed; it stays pending and is retried next cycle.", {
          contentType: descriptor.contentType,
          contentId: descriptor.contentId,
          error,
        });
      }
    }
    progress.blobsDone++;
    options.onProgress?.(progress);
    if (delivery.groupFull) await commitGroup();
  }
  await commitGroup();

  // Cursors move only as far as every blob before them is committed; one final commit records them.
  const advanced: Partial<Record<ContentType, ContentTypeCursor>> = {};
  for (const { contentType, cursor, end, pending } of listed) {
    const left = pending.filter((descriptor) => !committed.has(descriptor.contentId));
    report(contentType).pending = left.length;
    const stuck = left.map((descriptor) => descriptor.contentCreated).sort()[0];
    const through = stuck !== undefined && new Date(stuck) < end ? new Date(stuck) : end;
    const next: ContentTypeCursor = { ...cursor, listedThrough: through.toISOString() };
    advanced[contentType] = next;
    cursors[contentType] = next;
  }
  for (const contentType of settings.contentTypes) {
    if (!(contentType in advanced) && cursors[contentType]) advanced[contentType] = cursors[contentType];
  }
  await delivery.commit(advanced);
  await store.prune(now);
  if (interrupted) logStop(logger, stop, "the blobs delivered completely are committed; the rest stays pending for the next run");
  return { contentTypes: [...reports.values()], interrupted };
}

function logStop(logger: Logger, stop: AbortSignal | undefined, outcome: string): void {
  const reason = stop?.reason instanceof Error ? stop.reason.message : String(stop?.reason);
  logger.warn(`The cycle stopped before its end (${reason}): ${outcome}.`, { reason });
}
