import type { Meter } from "@opentelemetry/api";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";
import { PrometheusExporter } from "@opentelemetry/exporter-prometheus";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { MeterProvider, PeriodicExportingMetricReader, type IMetricReader } from "@opentelemetry/sdk-metrics";
import type { CollectorConfig } from "../../collector/src/config/config.ts";

export interface Telemetry {
  /** Absent when no metrics destination is configured: the collector then records nothing. */
  readonly meter: Meter | undefined;
  /** Pushes what OTLP has not sent yet and closes the Prometheus endpoint. */
  shutdown(): Promise<void>;
}

/**
 * The metrics pipeline of `run` and `once`, from the configuration: a Prometheus endpoint to scrape (`metricsListen`)
 * and/or an OTLP/HTTP push (`otlpMetricsUrl`, every `metricsInterval`). The OpenTelemetry SDK does the aggregation
 * and both wire formats; nothing here formats a metric.
 */
export async function startTelemetry(config: CollectorConfig): Promise<Telemetry> {
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
  if (otlpUrl !== undefined) {
    readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: otlpUrl }), exportIntervalMillis: intervalMs }));
  }
  if (readers.length === 0) return { meter: undefined, shutdown: () => Promise.resolve() };
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ "service.name": "auditfeed", "auditfeed.tenant_id": config.tenantId }),
    readers,
  });
  return { meter: provider.getMeter("auditfeed"), shutdown: () => provider.shutdown() };
}
