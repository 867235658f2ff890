import { Agent as HttpAgent, type ClientRequestArgs } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { Duplex } from "node:stream";
import type { Meter } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from "@opentelemetry/sdk-metrics";
import type { CollectorConfig } from "../../collector/src/config/config.ts";
import type { Logger } from "../../collector/src/log/logger.ts";

/** One OTLP push, retries included: an OpenTelemetry collector answers in milliseconds, so 10 s means it is down. */
const PUSH_TIMEOUT_MS = 10_000;
/**
 * After SIGTERM the last push gets this long, then its connection is cut: Container Apps kills the job 30 s after
 * SIGTERM, and the state was already committed, so the figures of a stopped run are worth a try, not a wait.
 */
const STOPPED_PUSH_MS = 2_000;

export interface Telemetry {
  /** Absent when no metrics destination is configured: the collector then records nothing. */
  readonly meter: Meter | undefined;
  /**
   * Pushes what OTLP has not sent yet (within 10 s, or 2 s once `stop` fired; a push that fails is logged, never
   * thrown) and closes the Prometheus endpoint. Nothing of the metrics pipeline outlives it.
   */
  shutdown(): Promise<void>;
}

/**
 * The metrics pipeline of `run` and `once`, from the configuration: a Prometheus endpoint to scrape (`metricsListen`)
 * and/or an OTLP/HTTP push (`otlpMetricsUrl`, JSON encoding, every `metricsInterval`). The OpenTelemetry SDK does the
 * aggregation and both wire formats; nothing here formats a metric.
 */
export async function startTelemetry(config: CollectorConfig, logger: Logger, stop?: AbortSignal): Promise<Telemetry> {
  const { prometheus, otlpUrl, intervalMs } = config.metrics;
  const readers: IMetricReader[] = [];
  let endpoint: PrometheusExporter | undefined;
  if (prometheus !== undefined) {
    endpoint = await new Promise<PrometheusExporter>((resolve, reject) => {
      const exporter: PrometheusExporter = new PrometheusExporter({ host: prometheus.host, port: prometheus.port, endpoint: "/metrics" }, (error) =>
        error === undefined ? resolve(exporter) : reject(error),
      );
    });
    readers.push(endpoint);
  }
  let push: CuttableAgent | undefined;
  if (otlpUrl !== undefined) {
    const agent = cuttableAgent(otlpUrl);
    push = agent;
    const timeout = Math.min(PUSH_TIMEOUT_MS, intervalMs);
    const exporter = new OTLPMetricExporter({ url: otlpUrl, timeoutMillis: timeout, httpAgentOptions: () => agent });
    readers.push(new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: intervalMs, exportTimeoutMillis: timeout }));
  }
  if (readers.length === 0) return { meter: undefined, shutdown: () => Promise.resolve() };
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": "auditfeed", "auditfeed.tenant_id": config.tenantId }),
    readers,
  });
  return {
    meter: provider.getMeter("auditfeed"),
    shutdown: async () => {
      try {
        await provider.shutdown({ timeoutMillis: stop?.aborted === true ? STOPPED_PUSH_MS : PUSH_TIMEOUT_MS });
      } catch (error) {
        logger.warn("The last metrics push did not complete; the figures of this run are in the state (auditfeed status).", { error });
      } finally {
        push?.cut();
      }
    },
  };
}

/** The OTLP push's connections, which shutdown can cut: the exporter takes no AbortSignal. */
interface CuttableAgent extends HttpAgent {
  /** Ends every connection, and refuses new ones, with an error the exporter does not retry. */
  cut(): void;
}

function cuttableAgent(url: string): CuttableAgent {
  const Base: typeof HttpAgent = new URL(url).protocol === "http:" ? HttpAgent : HttpsAgent;
  let cut: Error | undefined;
  class Agent extends Base implements CuttableAgent {
    // A retry after the cut (the exporter retries resets with backoff, holding the process) fails at once instead.
    override createConnection(options: ClientRequestArgs, callback?: (error: Error | null, stream: Duplex) => void): Duplex | null | undefined {
      if (cut === undefined) return super.createConnection(options, callback);
      (callback as (error: Error) => void)(cut);
      return undefined;
    }

    cut(): void {
      // Not one of the network codes the exporter retries (ECONNRESET and the like).
      cut = Object.assign(new Error("auditfeed is shutting down: the metrics push was cut."), { code: "AUDITFEED_SHUTDOWN" });
      for (const sockets of Object.values(this.sockets)) for (const socket of sockets ?? []) socket.destroy(cut);
      this.destroy();
    }
  }
  return new Agent({ keepAlive: true });
}
