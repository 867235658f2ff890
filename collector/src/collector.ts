import type { TokenCredential } from "@azure/identity";
import type { CollectorConfig } from "./config/config.ts";
import { AuditfeedError, isAuditfeedError } from "./errors.ts";
import type { Logger } from "./log/logger.ts";
import { runCycle, type CycleOptions, type CycleReport, type CycleSettings } from "./pipeline/cycle.ts";
import { Delivery } from "./pipeline/delivery.ts";
import { createSink } from "./sinks/registry.ts";
import type { Sink } from "./sinks/sink.ts";
import type { ContentType } from "./source/content.ts";
import type { RetrySettings } from "./retry/backoff.ts";
import { createCredential, createManagedIdentityCredential } from "./source/credential.ts";
import { ManagementClient } from "./source/management-client.ts";
import { trustExtraCa } from "./source/trust.ts";
import { createStateStore, describeState } from "./state/index.ts";
import type { ContentTypeCursor, FailedBlob, RunStats, StateStore } from "./state/store.ts";
import type { Meter } from "@opentelemetry/api";
import { addCycle } from "./health/run-stats.ts";
import { createCollectorMetrics, type CollectorMetrics } from "./metrics/instruments.ts";
import { contentTypeStatuses, HORIZON_WARNING_MS, type ContentTypeStatus } from "./health/status.ts";

/** Memory bound per blob in flight; with the default concurrency of 4 the fetch stage holds at most 32 MiB. */
const MAX_BUFFERED_BYTES_PER_BLOB = 8 * 1024 * 1024;

/** Code-set settings (the user-set ones are the configuration). */
export interface CollectorSettings {
  /** Retry timing of Management API calls; tests shorten it. */
  readonly retry?: RetrySettings;
  /** Where the collector's metrics are recorded (the command sets up the exporters); none are kept without one. */
  readonly meter?: Meter;
  /** Stops the sink's requests, waits and retries. */
  readonly signal?: AbortSignal;
}

/**
 * The collector for one tenant: configuration turned into a client, a state store and a sink, and cycles run over
 * them. Opening recovers from whatever the last process left behind (the sink rolls back to the last commit).
 */
export class Collector {
  readonly #client: ManagementClient;
  readonly #store: StateStore;
  readonly #sink: Sink;
  readonly #delivery: Delivery;
  readonly #logger: Logger;
  readonly #settings: CycleSettings;
  readonly #cursors: Partial<Record<ContentType, ContentTypeCursor>>;
  #stats: RunStats;
  /** The failed blobs as the last cycle left them: a failing blob's contentExpiration is its content type's horizon. */
  #failed: FailedBlob[] = [];
  #metrics: CollectorMetrics | undefined;
  #needsRecovery = false;

  private constructor(parts: {
    client: ManagementClient;
    store: StateStore;
    sink: Sink;
    delivery: Delivery;
    logger: Logger;
    settings: CycleSettings;
    cursors: Partial<Record<ContentType, ContentTypeCursor>>;
    stats: RunStats;
  }) {
    this.#client = parts.client;
    this.#store = parts.store;
    this.#sink = parts.sink;
    this.#delivery = parts.delivery;
    this.#logger = parts.logger;
    this.#settings = parts.settings;
    this.#cursors = parts.cursors;
    this.#stats = parts.stats;
  }

  static async open(config: CollectorConfig, logger: Logger, settings: CollectorSettings = {}): Promise<Collector> {
    if (config.endpoints.caFile !== undefined) trustExtraCa(config.endpoints.caFile);
    const credential = createCredential(config);
    const client = new ManagementClient(settings.retry ? { config, credential, logger, retry: settings.retry } : { config, credential, logger });
    // Record ids expire on the server's clock, the clock that decides how long a blob can be listed again.
    const serverNow = (): Date => client.serverNow();
    const store = createStateStore(config.state, { dedupeHorizonMs: config.dedupeHorizonMs, now: serverNow });
    let snapshot;
    try {
      snapshot = await store.open();
    } catch (error) {
      await client.close();
      throw error;
    }
    let identity: TokenCredential | undefined;
    const sink = createSink(config.sink, {
      logger: logger.child({ sink: config.sink.kind }),
      signal: settings.signal,
      credential: () => (identity ??= createManagedIdentityCredential(config)),
    });
    let committedCheckpoint = snapshot.sinkCheckpoint;
    try {
      await sink.open(committedCheckpoint);
      // On a first run the sink's starting position is committed before anything is written, so that after a crash
      // there is always a checkpoint to roll back to (a rollback sink refuses to guess what unknown data is).
      if (committedCheckpoint === null) {
        committedCheckpoint = await sink.flush();
        await store.commit({ blobs: [], sinkCheckpoint: committedCheckpoint, at: serverNow() });
        await sink.committed(committedCheckpoint);
      }
    } catch (error) {
      await store.close();
      await client.close();
      throw stateMismatchNamingTheState(error, describeState(config.state));
    }
    let metrics: CollectorMetrics | undefined;
    const delivery = new Delivery({ sink, store, logger, committedCheckpoint, now: serverNow, onFlush: (seconds) => metrics?.sinkFlushed(seconds) });
    const cycleSettings: CycleSettings = {
      contentTypes: config.contentTypes,
      lookbackMs: config.lookbackMs,
      overlapMs: config.overlapMs,
      fetchConcurrency: config.fetchConcurrency,
      maxBufferedBytesPerBlob: MAX_BUFFERED_BYTES_PER_BLOB,
    };
    logger.info("Collector opened.", {
      tenantId: config.tenantId,
      cloud: config.cloud,
      contentTypes: config.contentTypes,
      sink: sink.name,
      delivery: sink.delivery,
      state: describeState(config.state),
    });
    const collector = new Collector({
      client,
      store,
      sink,
      delivery,
      logger,
      settings: cycleSettings,
      cursors: { ...snapshot.cursors },
      stats: snapshot.stats,
    });
    // The quarantine is persisted: metrics and the status show it from the start, not only after a cycle.
    collector.#failed = await store.failedBlobs();
    if (settings.meter !== undefined) {
      metrics = createCollectorMetrics(settings.meter, { status: () => collector.status(), counters: () => client.counters() });
      collector.#metrics = metrics;
    }
    return collector;
  }

  /**
   * One cycle. After a failed one, the sink is first rolled back to the last commit, as a restart after a crash would
   * do; while that fails too (the sink is still down) the cycle fails with the sink's error and nothing is fetched.
   */
  async cycle(options: CycleOptions = {}): Promise<CycleReport> {
    const started = Date.now();
    const countersBefore = this.#client.counters();
    try {
      if (this.#needsRecovery) {
        await this.#sink.close();
        await this.#sink.open(this.#delivery.committedCheckpoint);
        this.#needsRecovery = false;
      }
      const report = await runCycle(
        { client: this.#client, store: this.#store, delivery: this.#delivery, logger: this.#logger },
        this.#cursors,
        this.#settings,
        options,
      );
      await this.#recordCycle(countersBefore, { reports: report.contentTypes });
      const statuses = this.status();
      for (const entry of report.contentTypes) {
        // Lag and horizon ride along, so the stack's workbook can chart them from this one line per content type.
        const status = statuses.find((candidate) => candidate.contentType === entry.contentType);
        this.#logger.info("Cycle finished for the content type.", {
          ...entry,
          lagMs: status?.lagMs,
          horizonLeftMs: status?.horizonLeftMs,
          ms: Date.now() - started,
        });
      }
      const troubled = report.interrupted || report.contentTypes.some((entry) => entry.error !== undefined || entry.failed > 0);
      this.#metrics?.cycleFinished(troubled ? "partial" : "ok", report.contentTypes);
      return report;
    } catch (error) {
      this.#needsRecovery = true;
      this.#metrics?.cycleFinished("failed", []);
      const failure = isAuditfeedError(error) ? { code: error.code, message: error.message } : { code: "AF_ERR_UNEXPECTED", message: String(error) };
      await this.#recordCycle(countersBefore, { failure }).catch((recordError: unknown) =>
        this.#logger.debug("The run statistics of a failed cycle could not be saved.", { error: recordError }),
      );
      throw error;
    }
  }

  /** Each content type's lag, backlog and horizon now (server clock), from the cursors and the run statistics. */
  status(): ContentTypeStatus[] {
    return contentTypeStatuses(this.#cursors, this.#stats, this.#settings.contentTypes, this.#client.serverNow(), this.#failed);
  }

  /** Adds the cycle to the run statistics (one small commit), then warns about any content type near the horizon. */
  async #recordCycle(
    before: { readonly throttled: number; readonly retries: number },
    outcome: { reports?: CycleReport["contentTypes"]; failure?: { code: string; message: string } },
  ): Promise<void> {
    const after = this.#client.counters();
    const now = this.#client.serverNow();
    this.#stats = addCycle(this.#stats, {
      ...outcome,
      at: now,
      contentTypes: this.#settings.contentTypes,
      throttled: after.throttled - before.throttled,
      retries: after.retries - before.retries,
      clockSkewMs: now.getTime() - Date.now(),
    });
    await this.#store.commit({ blobs: [], stats: this.#stats, at: now });
    this.#failed = await this.#store.failedBlobs();
    for (const status of this.status()) {
      if (status.horizonLeftMs >= HORIZON_WARNING_MS) continue;
      this.#logger.error(
        "The content type is within 24 hours of the 7-day horizon: content not collected by then can no longer be listed and is lost. Fix what keeps the collector from catching up (see auditfeed doctor).",
        { contentType: status.contentType, horizonAt: status.horizonAt, horizonLeftMs: status.horizonLeftMs, backlog: status.backlog },
      );
    }
  }

  /** The Management API's clock (the one that decides what can still be listed), asking the API if needed. */
  serverNow(signal?: AbortSignal): Promise<Date> {
    return this.#client.measuredServerNow(signal);
  }

  async close(): Promise<void> {
    await this.#client.close();
    await this.#sink.close();
    await this.#store.close();
  }
}

/** A sink that refuses the state it was given names its own folder; the operator also needs to know which state. */
function stateMismatchNamingTheState(error: unknown, state: string): unknown {
  if (!isAuditfeedError(error) || error.code !== "AF_ERR_STATE_MISMATCH") return error;
  return new AuditfeedError(error.code, `The state ${state} and the sink do not belong together. ${error.message}`, { cause: error });
}
