import { isAuditfeedError } from "../../errors.ts";
import { silentLogger } from "../../log/logger.ts";
import { describeBlobFolder } from "../../storage/blob-container.ts";
import type { SinkDefinition } from "../registry.ts";
import { checkFailed, checkPassed } from "../sink-check.ts";
import { AzureBlobArchiveSink } from "./azblob-sink.ts";
import { readAzblobSinkConfig, type AzblobSinkConfig } from "./config.ts";

export type { AzblobSinkConfig } from "./config.ts";

export const azblobSink: SinkDefinition<AzblobSinkConfig> = {
  kind: "azblob",
  delivery: () => "exactly-once",
  readConfig: readAzblobSinkConfig,
  create: (config, { logger, signal }) => new AzureBlobArchiveSink({ folder: config.folder, logger, signal }),
  check: async (config, { signal }) => {
    try {
      await new AzureBlobArchiveSink({ folder: config.folder, logger: silentLogger, signal }).check();
      return checkPassed(`${describeBlobFolder(config.folder)} takes blocks: a probe block was staged (never committed, so no reader sees it).`);
    } catch (error) {
      if (!isAuditfeedError(error)) throw error;
      return checkFailed(`${describeBlobFolder(config.folder)} cannot be written (${error.code}).`, error.message);
    }
  },
};
