/**
 * The Log Analytics queries of the collector's alerts and workbook. The collector logs one JSON object per line on
 * stderr, which Container Apps puts in `ContainerAppConsoleLogs_CL.Log_s`; every query parses it as `e` and reads
 * only fields the collector writes (test/infra/monitoring-queries.test.ts drives a real run and checks each `e.<field>`
 * and each message the queries match on).
 */

/** Parses the collector's JSON log lines of one job; `{job}` is the Container Apps Job's name. */
function lines(job: string): string {
  return `ContainerAppConsoleLogs_CL
| where ContainerJobName_s == "${job}"
| extend e = parse_json(Log_s)
| where isnotnull(e.msg)`;
}

export const RUN_SUMMARY = "Run finished:";
export const CYCLE_FAILED = "The cycle failed";
export const COULD_NOT_START = "The collector could not start.";
export const QUARANTINED = "Blobs are quarantined:";
export const HORIZON_WARNING = "The content type is within 24 hours of the 7-day horizon";
export const CYCLE_FINISHED = "Cycle finished for the content type.";

/**
 * Runs that failed (an exit other than 0 and 6, a cycle that failed as a whole, or no start); the alert fires at 3 in
 * its window. Exit 6 is "only known quarantined blobs": the quarantine alert covers them, once, not every run.
 */
export function failedRunsQuery(job: string): string {
  return `${lines(job)}
| where (e.msg startswith "${RUN_SUMMARY}" and toint(e.exitCode) !in (0, 6)) or e.msg startswith "${CYCLE_FAILED}" or e.msg == "${COULD_NOT_START}"
| summarize failedRuns = count() by tenantId = tostring(e.tenantId)`;
}

/**
 * Quarantined blobs, as the state persists them: every cycle the collector reads its state's quarantine and logs it
 * as one error (count and first blobs by content type) until the API stops listing them. One row per content type of
 * the latest such line: the alert fires while any is logged in its window and resolves once none is.
 */
export function quarantinedBlobQuery(job: string): string {
  return `${lines(job)}
| where e.level == "error" and e.msg startswith "${QUARANTINED}"
| summarize arg_max(TimeGenerated, e) by tenantId = tostring(e.tenantId)
| mv-expand contentType = bag_keys(e.byContentType) to typeof(string)
| extend quarantined = toint(e.byContentType[contentType].count), blobs = e.byContentType[contentType].blobs
| project tenantId, contentType, quarantined, blobs, reportedAt = TimeGenerated`;
}

/** A content type within 24 hours of the 7-day horizon (the collector logs it as an error every cycle). */
export function horizonQuery(job: string): string {
  return `${lines(job)}
| where e.level == "error" and e.msg startswith "${HORIZON_WARNING}"
| summarize horizonLeftMs = min(tolong(e.horizonLeftMs)), horizonAt = take_any(tostring(e.horizonAt)) by contentType = tostring(e.contentType)`;
}

/** Workbook: records delivered per content type (each content type is a family of workloads) over time. */
export function recordsQuery(job: string): string {
  return `${lines(job)}
| where e.msg == "${CYCLE_FINISHED}"
| summarize records = sum(tolong(e.records)) by bin(TimeGenerated, 1h), contentType = tostring(e.contentType)
| render timechart`;
}

/** Workbook: lag (server time minus the newest contentCreated delivered) per content type over time, in hours. */
export function lagQuery(job: string): string {
  return `${lines(job)}
| where e.msg == "${CYCLE_FINISHED}" and isnotnull(e.lagMs)
| summarize lagHours = max(todouble(e.lagMs)) / 3600000 by bin(TimeGenerated, 1h), contentType = tostring(e.contentType)
| render timechart`;
}

/** Workbook: quarantined blobs per content type over time, as the collector reports its state's quarantine every cycle. */
export function quarantineTrendQuery(job: string): string {
  return `${lines(job)}
| where e.level == "error" and e.msg startswith "${QUARANTINED}"
| mv-expand contentType = bag_keys(e.byContentType) to typeof(string)
| summarize quarantined = max(toint(e.byContentType[contentType].count)) by bin(TimeGenerated, 1h), contentType
| render timechart`;
}

/** Workbook: time left before the 7-day horizon per content type over time, in hours. */
export function horizonTrendQuery(job: string): string {
  return `${lines(job)}
| where e.msg == "${CYCLE_FINISHED}"
| summarize horizonHours = min(todouble(e.horizonLeftMs)) / 3600000 by bin(TimeGenerated, 1h), contentType = tostring(e.contentType)
| render timechart`;
}
