import type { ContentTypeReport } from "../pipeline/cycle.ts";
import type { ContentType } from "../source/content.ts";
import { EMPTY_CONTENT_TYPE_STATS, type ContentTypeStats, type RunStats } from "../state/store.ts";

/** What one cycle adds to the run statistics: its report, or the error that failed it as a whole. */
export interface CycleOutcome {
  readonly at: Date;
  readonly contentTypes: readonly ContentType[];
  readonly reports?: readonly ContentTypeReport[];
  /** The cycle failed before it could report (for example the sink is down): every content type saw this error. */
  readonly failure?: { readonly code: string; readonly message: string };
  /** Throttled responses and retries during the cycle. */
  readonly throttled: number;
  readonly retries: number;
  readonly clockSkewMs: number;
}

/** The statistics after a cycle: counters added, the latest observations replaced. Pure, so both stores keep the same figures. */
export function addCycle(previous: RunStats, outcome: CycleOutcome): RunStats {
  const at = outcome.at.toISOString();
  const contentTypes: Partial<Record<ContentType, ContentTypeStats>> = { ...previous.contentTypes };
  for (const contentType of outcome.contentTypes) {
    const before = previous.contentTypes[contentType] ?? EMPTY_CONTENT_TYPE_STATS;
    const report = outcome.reports?.find((entry) => entry.contentType === contentType);
    const errors = { ...before.errors };
    for (const error of [outcome.failure, report?.error, report?.blobError]) {
      if (error === undefined) continue;
      errors[error.code] = { count: (errors[error.code]?.count ?? 0) + 1, lastAt: at, message: error.message };
    }
    const newest = report?.newestDelivered;
    contentTypes[contentType] = {
      records: before.records + (report?.records ?? 0),
      blobs: before.blobs + (report?.blobs ?? 0),
      duplicates: before.duplicates + (report?.duplicates ?? 0),
      expired: before.expired + (report?.expired ?? 0),
      newestDelivered: newest !== undefined && (before.newestDelivered === null || newest > before.newestDelivered) ? newest : before.newestDelivered,
      // A content type that could not even be listed keeps its last known backlog.
      backlog: report !== undefined && report.error === undefined ? report.pending : before.backlog,
      lastCycleAt: at,
      errors,
    };
  }
  return {
    contentTypes,
    throttled: previous.throttled + outcome.throttled,
    retries: previous.retries + outcome.retries,
    clockSkewMs: outcome.clockSkewMs,
  };
}
