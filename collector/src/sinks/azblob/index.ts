import type { SinkDefinition } from "../registry.ts";
import { AzureBlobArchiveSink } from "./azblob-sink.ts";
import { readAzblobSinkConfig, type AzblobSinkConfig } from "./config.ts";

export type { AzblobSinkConfig } from "./config.ts";

export const azblobSink: SinkDefinition<AzblobSinkConfig> = {
  kind: "azblob",
  delivery: () => "exactly-once",
  readConfig: readAzblobSinkConfig,
  create: (config, { logger, signal }) => new AzureBlobArchiveSink({ folder: config.folder, logger, signal }),
};
