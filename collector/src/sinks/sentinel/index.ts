import { createDeadLetter } from "../remote/dead-letter-location.ts";
import { RemoteSink } from "../remote/remote-sink.ts";
import type { SinkDefinition } from "../registry.ts";
import { readSentinelSinkConfig, type SentinelSinkConfig } from "./config.ts";
import { sentinelDestination } from "./ingestion.ts";

export type { SentinelSinkConfig } from "./config.ts";

/**
 * Microsoft Sentinel, that is a Log Analytics table, through the Logs Ingestion API as the host's managed identity.
 * At least once: the API has no idempotency key, so a group sent but not committed when the collector dies is sent
 * again after the restart (only in that window); every row carries the record's Id to find the repeat. See README.md.
 */
export const sentinelSink: SinkDefinition<SentinelSinkConfig> = {
  kind: "sentinel",
  delivery: () => "at-least-once",
  readConfig: readSentinelSinkConfig,
  create: (config, { logger, signal, credential }) =>
    new RemoteSink({
      name: "sentinel",
      delivery: "at-least-once",
      connect: () => sentinelDestination(config, credential()),
      deadLetter: createDeadLetter(config.remote.deadLetter, "sentinel", logger),
      settings: config.remote.driver,
      logger,
      signal,
    }),
};
