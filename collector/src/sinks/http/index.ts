import type { DeliveryGuarantee } from "../sink.ts";
import { FileDeadLetter } from "../remote/dead-letter.ts";
import { RemoteSink } from "../remote/remote-sink.ts";
import type { SinkDefinition } from "../registry.ts";
import { readHttpSinkConfig, type HttpPresetName, type HttpSinkConfig } from "./config.ts";
import { elasticsearchPreset } from "./elasticsearch.ts";
import { HttpClient } from "./http-client.ts";
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

export const httpSink: SinkDefinition<HttpSinkConfig> = {
  kind: "http",
  delivery,
  readConfig: readHttpSinkConfig,
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
      deadLetter: new FileDeadLetter({ directory: config.remote.deadLetterDirectory, sink: "http", logger }),
      settings: config.remote.driver,
      logger,
      signal,
    });
  },
};
