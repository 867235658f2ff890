import { describeError, isAuditfeedError } from "../errors.ts";
import type { Logger } from "../log/logger.ts";
import type { ContentDescriptor, ContentType } from "../source/content.ts";
import type { FetchedRecord, ManagementClient } from "../source/management-client.ts";
import type { ContentTypeCursor, FailedBlob, StateStore } from "../state/store.ts";
import { stopsTheCycle, type Delivery } from "./delivery.ts";
import { QUARANTINE_AFTER_FAILURES, quarantineSummary, recordFailure } from "./failed-blobs.ts";
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
  /** UTF-8 bytes of the JSON of the records delivered now. */
  bytes: number;
  duplicates: number;
  expired: number;
  /** Blobs that failed in this cycle and stay pending for the next (a blob quarantined now counts here too). */
  failed: number;
  /** Blobs listed and not delivered when the cycle ended: the failed ones and those a stop left unreached. */
  pending: number;
  /** Newest `contentCreated` among the blobs delivered now. */
  newestDelivered?: string;
  /** Known quarantined blobs at the end of the cycle: they failed the same way too often and are no longer fetched. */
  quarantined: number;
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

/** A failure that repeats until someone changes something (a permission, audit logging, the configuration). */
function needsSomeoneToAct(error: unknown): boolean {
  return isAuditfeedError(error) && !error.retryable;
}

async function* sized(batches: AsyncIterable<readonly FetchedRecord[]>): AsyncGenerator<SizedBatch> {
  for await (const records of batches) {
    let bytes = 0;
    for (const record of records) bytes += record.bytes.length + record.id.length;
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
 * every blob not yet in the ledger, and every failed blob the state remembers, oldest first (nearest to expiry). A
 * blob that fails is remembered with its failure count and retried every cycle until it is delivered, expires (lost,
 * reported once) or fails the same way often enough to be quarantined (reported every cycle). A content type's cursor
 * only moves up to the earliest listed blob not attempted yet (a stop), so nothing listed is skipped.
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
      { contentType, listed: 0, blobs: 0, records: 0, bytes: 0, duplicates: 0, expired: 0, failed: 0, pending: 0, quarantined: 0 },
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

  const remembered = new Map((await store.failedBlobs()).map((entry) => [entry.descriptor.contentId, entry]));
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
      const error =
        state?.error === undefined ? { code: "AF_ERR_SUBSCRIPTION_PENDING", message: state?.reason ?? "no subscription" } : describeError(state.error);
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
      // Blobs remembered as failed are taken from the state below, not from the listing, so they count once.
      const pending = all.filter((descriptor) => !committed.has(descriptor.contentId) && !remembered.has(descriptor.contentId));
      listed.push({ contentType, cursor, end, pending });
    } catch (error) {
      if (stopped()) return stoppedEarly();
      if (isAuditfeedError(error) && error.code.startsWith("AF_ERR_STATE")) throw error;
      report(contentType).error = describeError(error);
      if (needsSomeoneToAct(error)) log.error("Listing content failed; the content type is retried next cycle.", { error });
      else log.warn("Listing content failed; the content type is retried next cycle.", { error });
      cursors[contentType] = cursor;
    }
  }

  // A first run's origin is made durable before anything of its range is delivered. Otherwise a cycle that fails or
  // is killed after some commits is planned again from a later origin (now - look-back), and the records between the
  // first origin and the new one that were not yet delivered are silently skipped.
  if (Object.keys(firstCursors).length > 0) {
    await delivery.commit({ cursors: firstCursors });
    Object.assign(cursors, firstCursors);
  }

  // Blobs that failed before are retried from the state, whether or not they were listed again, for the content types
  // whose listing worked (the others would only fail the same way); quarantined ones are only reported.
  const now = client.serverNow();
  const queue: ContentDescriptor[] = [];
  const lostBy = new Map<ContentType, string[]>();
  const take = (descriptor: ContentDescriptor): void => {
    if (new Date(descriptor.contentExpiration) > now) {
      queue.push(descriptor);
      return;
    }
    delivery.markExpired(descriptor);
    lostBy.set(descriptor.contentType, [...(lostBy.get(descriptor.contentType) ?? []), descriptor.contentId]);
  };
  for (const { pending } of listed) pending.forEach(take);
  const listedTypes = new Set(listed.map((entry) => entry.contentType));
  const quarantined: FailedBlob[] = [];
  for (const entry of remembered.values()) {
    if (entry.quarantinedAt !== null) quarantined.push(entry);
    else if (listedTypes.has(entry.descriptor.contentType)) take(entry.descriptor);
  }
  for (const [contentType, contentIds] of lostBy) {
    logger.error("Blobs expired before they could be fetched; their records are lost to this collector.", {
      contentType,
      blobs: contentIds.length,
      contentIds: contentIds.slice(0, 10),
    });
  }
  queue.sort((a, b) => a.contentCreated.localeCompare(b.contentCreated) || a.contentId.localeCompare(b.contentId));

  // Reports count what a commit made durable: a group discarded after a failure is redone, not counted twice.
  const committed = new Set<string>();
  const createdOf = new Map(queue.map((descriptor) => [descriptor.contentId, descriptor.contentCreated]));
  const failed: FailedBlob[] = [];
  const progress = { blobsPlanned: queue.length, blobsDone: 0, records: 0 };
  const commitGroup = async (): Promise<void> => {
    for (const blob of await delivery.commit()) {
      const entry = report(blob.contentType);
      // A part of a big blob: its records count now, the blob once its last part is committed.
      if (blob.outcome !== "partial") committed.add(blob.contentId);
      if (blob.outcome === "expired") entry.expired++;
      else {
        if (blob.outcome === "delivered") entry.blobs++;
        entry.records += blob.records;
        entry.bytes += blob.bytes;
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
    const fields = { contentType: descriptor.contentType, contentId: descriptor.contentId };
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
        logger.error("A listed blob could not be fetched any more; its records are lost to this collector.", { ...fields, error });
      } else if (stopsTheCycle(error)) {
        // The sink or the state failed, not this blob: the whole cycle stops.
        throw error;
      } else {
        const entry = recordFailure(remembered.get(descriptor.contentId), descriptor, error, now);
        failed.push(entry);
        report(descriptor.contentType).failed++;
        report(descriptor.contentType).blobError = describeError(error);
        if (entry.quarantinedAt === null) {
          logger.warn("Fetching a blob failed; it stays pending and is retried next cycle.", { ...fields, failures: entry.failures, error });
        } else {
          quarantined.push(entry);
          logger.error(
            `A blob failed the same way ${entry.failures} times and is quarantined: it is not fetched again, and its records are not delivered. Recover them with Purview audit search, or fix the cause and start over with a new state location.`,
            { ...fields, failures: entry.failures, error },
          );
        }
      }
    }
    progress.blobsDone++;
    options.onProgress?.(progress);
    if (delivery.groupFull) await commitGroup();
  }
  await commitGroup();

  // Cursors move up to the first blob not attempted (left by a stop): a failed blob is remembered in the state
  // instead, so it never holds a cursor back (which could push it past the API's 7 days). One final commit records them.
  const attempted = new Set([...committed, ...failed.map((entry) => entry.descriptor.contentId)]);
  const advanced: Partial<Record<ContentType, ContentTypeCursor>> = {};
  for (const { contentType, cursor, end, pending } of listed) {
    const left = pending.filter((descriptor) => !committed.has(descriptor.contentId));
    // A blob quarantined now is no longer fetched: it is reported as quarantined, not as backlog.
    const retried = failed.filter(
      (entry) => entry.descriptor.contentType === contentType && entry.quarantinedAt === null && !pending.includes(entry.descriptor),
    );
    report(contentType).pending = left.length + retried.length;
    const stuck = left
      .filter((descriptor) => !attempted.has(descriptor.contentId))
      .map((descriptor) => descriptor.contentCreated)
      .sort()[0];
    const through = stuck !== undefined && new Date(stuck) < end ? new Date(stuck) : end;
    const next: ContentTypeCursor = { ...cursor, listedThrough: through.toISOString() };
    advanced[contentType] = next;
    cursors[contentType] = next;
  }
  for (const contentType of settings.contentTypes) {
    if (!(contentType in advanced) && cursors[contentType]) advanced[contentType] = cursors[contentType];
  }
  await delivery.commit({ cursors: advanced, failed });
  await store.prune(now);
  if (interrupted) logStop(logger, stop, "the blobs delivered completely are committed; the rest stays pending for the next run");

  const stillQuarantined = quarantined.filter((entry) => Date.parse(entry.keepUntil) > now.getTime());
  if (stillQuarantined.length > 0) {
    for (const entry of stillQuarantined) {
      const entryReport = reports.get(entry.descriptor.contentType);
      if (entryReport !== undefined) entryReport.quarantined++;
    }
    logger.error(
      `Blobs are quarantined: each failed the same way ${QUARANTINE_AFTER_FAILURES} times, is not fetched again, and its records are not delivered. They stay listed here, by content type, until the API stops listing them (auditfeed status shows each one).`,
      { quarantined: stillQuarantined.length, byContentType: quarantineSummary(stillQuarantined) },
    );
  }
  return { contentTypes: [...reports.values()], interrupted };
}

function logStop(logger: Logger, stop: AbortSignal | undefined, outcome: string): void {
  const reason = stop?.reason instanceof Error ? stop.reason.message : String(stop?.reason);
  logger.warn(`The cycle stopped before its end (${reason}): ${outcome}.`, { reason });
}
