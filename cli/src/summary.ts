import type { ContentTypeStatus } from "../../collector/src/health/status.ts";
import type { Logger } from "../../collector/src/log/logger.ts";
import type { CycleReport } from "../../collector/src/pipeline/cycle.ts";

const number = (value: number): string => value.toLocaleString("en-US");

/** "6d 23h", "5h 12m", "-2h 3m" (past): a duration as an operator reads it. */
export function humanDuration(ms: number): string {
  const sign = ms < 0 ? "-" : "";
  const minutes = Math.floor(Math.abs(ms) / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return `${sign}${days}d ${hours}h`;
  return `${sign}${hours}h ${minutes % 60}m`;
}

/** The one line `auditfeed once` ends with: what it delivered, what is left, the nearest horizon and the exit code. */
export function logRunSummary(logger: Logger, report: CycleReport, statuses: readonly ContentTypeStatus[], exitCode: number): void {
  const sum = (pick: (entry: CycleReport["contentTypes"][number]) => number): number => report.contentTypes.reduce((total, entry) => total + pick(entry), 0);
  const records = sum((entry) => entry.records);
  const blobs = sum((entry) => entry.blobs);
  const duplicates = sum((entry) => entry.duplicates);
  const backlog = sum((entry) => entry.pending);
  const collected = report.contentTypes.filter((entry) => entry.error === undefined).length;
  const nearest = [...statuses].sort((a, b) => a.horizonLeftMs - b.horizonLeftMs)[0];
  const horizon = nearest === undefined ? "" : `, nearest horizon in ${humanDuration(nearest.horizonLeftMs)} (${nearest.contentType})`;
  logger.info(
    `Run finished: ${number(records)} records in ${number(blobs)} blobs (${number(duplicates)} duplicates dropped), backlog ${number(backlog)} blobs, ${collected} of ${report.contentTypes.length} content types collected${horizon}, exit ${exitCode}.`,
    { records, blobs, duplicates, backlog, collected, horizonLeftMs: nearest?.horizonLeftMs, exitCode },
  );
}
