import { parseByteSize, type Parsed } from "../../config/values.ts";
import { isAuditfeedError } from "../../errors.ts";
import { checkFailed, checkPassed } from "../sink-check.ts";
import type { SinkDefinition } from "../registry.ts";
import type { FileSinkConfig } from "./config.ts";
import { FileSink } from "./file-sink.ts";

export type { FileSinkConfig } from "./config.ts";

export const DEFAULT_ROTATE_BYTES = 128 * 1_048_576;

export const fileSink: SinkDefinition<FileSinkConfig> = {
  kind: "file",
  delivery: () => "exactly-once",
  readConfig: (options) => ({
    kind: "file",
    directory: options.path("sinkDir", "auditfeed-data/events"),
    rotateBytes: options.value("sinkRotateBytes", parseRotateSize, DEFAULT_ROTATE_BYTES),
  }),
  create: (config) => new FileSink(config),
  check: async (config) => {
    try {
      await new FileSink(config).check();
      return checkPassed(`${config.directory} takes files: a probe file was written, synced and removed.`);
    } catch (error) {
      if (!isAuditfeedError(error)) throw error;
      return checkFailed(`${config.directory} cannot be written (${error.code}).`, error.message);
    }
  },
};

function parseRotateSize(text: string): Parsed<number> {
  const parsed = parseByteSize(text);
  return parsed.ok && parsed.value < 1_024 ? { ok: false, expected: "at least 1KiB" } : parsed;
}
