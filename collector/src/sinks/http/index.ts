import type { DeliveryGuarantee } from "../sink.ts";
import { createDeadLetter } from "../remote/dead-letter-location.ts";
import { RemoteSink } from "../remote/remote-sink.ts";
import type { SinkDefinition } from "../registry.ts";
import { checkFailed, checkPassed, unreachableSink, type SinkCheckDependencies, type SinkCheckResult } from "../sink-check.ts";
import { isAuditfeedError } from "../../errors.ts";
import { readHttpSinkConfig, type HttpPresetName, type HttpSinkConfig } from "./config.ts";
import { elasticsearchPreset } from "./elasticsearch.ts";
import { HttpClient, httpTls } from "./http-client.ts";
import type { HttpPreset } from "./preset.ts";
import { sekoiaPreset } from "./sekoia.ts";
import { splunkHecPreset } from "./splunk-hec.ts";
import { webhookPreset } from "./webhook.ts";

export type { HttpSinkConfig } from "./config.ts";

const PRESETS: Readonly<Record<HttpPresetName, (config: HttpSinkConfig) => HttpPreset>> = {
  "splunk-hec": splunkHecPreset,
  elasticsearch: elasticsearchPreset,
  sekoia: sekoiaPreset,
  webhook: webhookPreset,
};

/** Elasticsearch creates each document under the record's Id, so a repeat is refused by the index itself. */
function delivery(config: HttpSinkConfig): DeliveryGuarantee {
  return config.preset === "elasticsearch" ? "exactly-once" : "at-least-once";
}

/**
 * Doctor's check: DNS, TCP and TLS with the sink's trust, then the preset's authenticated no-op, if it has one, each
 * request bounded by the sink's request timeout. A network failure after the handshake is reported, not thrown.
 */
async function check(config: HttpSinkConfig, { signal }: SinkCheckDependencies): Promise<SinkCheckResult> {
  const { url, caFile } = config.remote;
  const unreachable = await unreachableSink(url, {
    tls: httpTls(caFile),
    signal,
    refusedFix: "The intake asks for a client certificate, which the http sink does not send: let the intake accept this collector without one.",
  });
  if (unreachable !== undefined) return unreachable;
  const preset = PRESETS[config.preset](config);
  if (preset.check === undefined) {
    return checkPassed(
      `${new URL(url).host} answers (DNS, TCP, TLS); the ${config.preset} intake has no request that checks the ${config.preset === "webhook" ? "secret" : "intake key"} without delivering, so the first delivery does.`,
    );
  }
  const client = new HttpClient({ url, caFile, gzip: config.gzip, connections: 1, timeoutInMs: config.remote.driver.timeoutInMs });
  const timeout = AbortSignal.timeout(config.remote.driver.timeoutInMs);
  try {
    return await preset.check(client, signal === undefined ? timeout : AbortSignal.any([signal, timeout]));
  } catch (error) {
    if (signal?.aborted) throw error;
    const what = isAuditfeedError(error) ? error.message : `${(error as Error).name}: ${(error as Error).message}`;
    return checkFailed(
      `${new URL(url).host} accepted the connection but the ${config.preset} check request failed (${what}).`,
      `Check that sinkUrl is the intake's base URL and that nothing between (a proxy, a load balancer) cuts requests; the request timeout is sinkTimeout (${config.remote.driver.timeoutInMs / 1000} s).`,
    );
  } finally {
    await client.close();
  }
}

export const httpSink: SinkDefinition<HttpSinkConfig> = {
  kind: "http",
  delivery,
  readConfig: readHttpSinkConfig,
  check,
  create: (config, { logger, signal }) => {
    const preset = PRESETS[config.preset](config);
    return new RemoteSink({
      name: "http",
      delivery: delivery(config),
      connect: () => {
        const client = new HttpClient({
          url: config.remote.url,
          caFile: config.remote.caFile,
          gzip: config.gzip,
          connections: config.remote.driver.concurrency,
          timeoutInMs: config.remote.driver.timeoutInMs,
        });
        return {
          name: `http ${config.preset}`,
          limits: preset.limits,
          size: (record) => preset.size(record),
          send: (batch, requestSignal) => preset.send(batch, client, requestSignal),
          close: () => client.close(),
        };
      },
      deadLetter: createDeadLetter(config.remote.deadLetter, "http", logger),
      settings: config.remote.driver,
      logger,
      signal,
    });
  },
};
