import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { gunzipSync } from "node:zlib";

/** One OTLP data point, decoded: the metric it belongs to, its attributes, and its value (a sum or gauge value, or a histogram's count). */
export interface OtlpPoint {
  readonly metric: string;
  readonly unit: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One export request (POST /v1/metrics) as the receiver decoded it. */
export interface OtlpExport {
  readonly contentType: string;
  readonly resource: Readonly<Record<string, string>>;
  readonly points: readonly OtlpPoint[];
}

export interface OtlpReceiver {
  readonly url: string;
  readonly exports: OtlpExport[];
  /** Requests that arrived, answered or not. */
  readonly requests: () => number;
  close(): Promise<void>;
}

interface KeyValue {
  readonly key: string;
  readonly value: { readonly stringValue?: string; readonly intValue?: string | number; readonly doubleValue?: number; readonly boolValue?: boolean };
}

interface DataPoint {
  readonly attributes?: readonly KeyValue[];
  readonly asInt?: string | number;
  readonly asDouble?: number;
  readonly count?: string | number;
}

interface Metric {
  readonly name: string;
  readonly unit?: string;
  readonly sum?: { readonly dataPoints: readonly DataPoint[] };
  readonly gauge?: { readonly dataPoints: readonly DataPoint[] };
  readonly histogram?: { readonly dataPoints: readonly DataPoint[] };
}

interface ExportRequest {
  readonly resourceMetrics: ReadonlyArray<{
    readonly resource?: { readonly attributes?: readonly KeyValue[] };
    readonly scopeMetrics: ReadonlyArray<{ readonly metrics: readonly Metric[] }>;
  }>;
}

const attributes = (list: readonly KeyValue[] = []): Record<string, string> =>
  Object.fromEntries(list.map(({ key, value }) => [key, String(value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue)]));

/** The OTLP/HTTP JSON encoding (opentelemetry-proto's JSON mapping) of ExportMetricsServiceRequest, flattened to points. */
export function decodeOtlpJson(body: string, contentType: string): OtlpExport {
  const request = JSON.parse(body) as ExportRequest;
  const points: OtlpPoint[] = [];
  let resource: Record<string, string> = {};
  for (const resourceMetrics of request.resourceMetrics) {
    resource = attributes(resourceMetrics.resource?.attributes);
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const metric of scope.metrics) {
        const histogram = metric.histogram?.dataPoints.map((point) => ({ point, value: Number(point.count) })) ?? [];
        const values = (metric.sum ?? metric.gauge)?.dataPoints.map((point) => ({ point, value: Number(point.asInt ?? point.asDouble) })) ?? [];
        for (const { point, value } of [...values, ...histogram]) {
          points.push({ metric: metric.name, unit: metric.unit ?? "", attributes: attributes(point.attributes), value });
        }
      }
    }
  }
  return { contentType, resource, points };
}

/**
 * A local OTLP/HTTP metrics receiver (what an OpenTelemetry Collector's otlp receiver does on :4318): it decodes
 * every export it is sent. `hang` makes it accept requests and never answer, as a receiver that is stuck.
 */
export async function startOtlpReceiver(options: { hang?: boolean } = {}): Promise<OtlpReceiver> {
  const exports: OtlpExport[] = [];
  let requests = 0;
  const held: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (options.hang === true) {
        held.push(res);
        return;
      }
      const raw = Buffer.concat(chunks);
      const body = (req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw).toString("utf8");
      const contentType = req.headers["content-type"] ?? "";
      if (req.url !== "/v1/metrics" || !contentType.startsWith("application/json")) {
        res.writeHead(415).end();
        return;
      }
      exports.push(decodeOtlpJson(body, contentType));
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/v1/metrics`,
    exports,
    requests: () => requests,
    close: async () => {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}
