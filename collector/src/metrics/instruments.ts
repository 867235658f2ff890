import type { Meter } from "@opentelemetry/api";
import type { ContentTypeStatus } from "../health/status.ts";
import type { ContentTypeReport } from "../pipeline/cycle.ts";

/** What the collector records; every name, type, label and meaning is in docs/metrics.md. */
export interface CollectorMetrics {
  /** A cycle ended: its per content type figures, or (no reports) the failure that ended it. */
  cycleFinished(outcome: "ok" | "partial" | "failed", reports: readonly ContentTypeReport[]): void;
  /** A sink flush took this long (what acknowledging a group of records costs). */
  sinkFlushed(seconds: number): void;
}

/** The collector's live figures that gauges and cumulative counters read when the reader collects. */
export interface MetricSources {
  status(): readonly ContentTypeStatus[];
  counters(): { readonly throttled: number; readonly retries: number };
}

/**
 * The instruments on `meter`. Counters are added once per cycle (totals add up as if counted per record); lag,
 * backlog and horizon are observed from the collector's status whenever the reader collects, so a scrape always sees
 * the current values (the quarantine as the state store holds it); throttling and retries are the transport's own cumulative counts.
 */
export function createCollectorMetrics(meter: Meter, sources: MetricSources): CollectorMetrics {
  const records = meter.createCounter("auditfeed.records", { unit: "{record}", description: "Records delivered: acknowledged by the sink and committed." });
  const bytes = meter.createCounter("auditfeed.bytes", { unit: "By", description: "Bytes (UTF-8) of the JSON of the records delivered." });
  const blobs = meter.createCounter("auditfeed.blobs", {
    unit: "{blob}",
    description: "Blobs finished, by outcome: delivered, expired (lost), failed (stays pending).",
  });
  const duplicates = meter.createCounter("auditfeed.duplicates", { unit: "{record}", description: "Records dropped because their Id was already delivered." });
  const cycles = meter.createCounter("auditfeed.cycles", {
    unit: "{cycle}",
    description: "Cycles run, by outcome: ok, partial (some content types or blobs failed), failed.",
  });
  const flush = meter.createHistogram("auditfeed.sink.flush.duration", {
    unit: "s",
    description: "Time the sink took to acknowledge a group of records.",
    // Seconds, from a local fsync (milliseconds) to a remote SIEM having a bad day.
    advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] },
  });
  const lag = meter.createObservableGauge("auditfeed.lag", { unit: "s", description: "Server time now minus the newest contentCreated delivered." });
  const horizon = meter.createObservableGauge("auditfeed.horizon.remaining", {
    unit: "s",
    description: "Time left before content not yet listed falls out of the API's 7-day window and is lost.",
  });
  const backlog = meter.createObservableGauge("auditfeed.backlog", {
    unit: "{blob}",
    description: "Blobs listed but not delivered when the last cycle ended.",
  });
  const quarantined = meter.createObservableGauge("auditfeed.quarantined", {
    unit: "{blob}",
    description: "Blobs the state holds as quarantined: they failed the same way 3 times and are no longer fetched.",
  });
  const throttled = meter.createObservableCounter("auditfeed.api.throttled", {
    unit: "{response}",
    description: "Management API responses that throttled the tenant.",
  });
  const retries = meter.createObservableCounter("auditfeed.api.retries", {
    unit: "{request}",
    description: "Management API requests sent again after a failure.",
  });

  meter.addBatchObservableCallback(
    (observer) => {
      for (const status of sources.status()) {
        const attributes = { content_type: status.contentType };
        if (status.lagMs !== null) observer.observe(lag, status.lagMs / 1000, attributes);
        observer.observe(horizon, status.horizonLeftMs / 1000, attributes);
        observer.observe(backlog, status.backlog, attributes);
        observer.observe(quarantined, status.quarantined.length, attributes);
      }
      const counts = sources.counters();
      observer.observe(throttled, counts.throttled);
      observer.observe(retries, counts.retries);
    },
    [lag, horizon, backlog, quarantined, throttled, retries],
  );

  return {
    cycleFinished(outcome, reports) {
      cycles.add(1, { outcome });
      for (const report of reports) {
        const attributes = { content_type: report.contentType };
        records.add(report.records, attributes);
        bytes.add(report.bytes, attributes);
        duplicates.add(report.duplicates, attributes);
        blobs.add(report.blobs, { ...attributes, outcome: "delivered" });
        blobs.add(report.expired, { ...attributes, outcome: "expired" });
        blobs.add(report.failed, { ...attributes, outcome: "failed" });
      }
    },
    sinkFlushed(seconds) {
      flush.record(seconds);
    },
  };
}
