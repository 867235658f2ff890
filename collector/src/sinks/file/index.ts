import { parseByteSize, type Parsed } from "../../config/values.ts";
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
};

function parseRotateSize(text: string): Parsed<number> {
  const parsed = parseByteSize(text);
  return parsed.ok && parsed.value < 1_024 ? { ok: false, expected: "at least 1KiB" } : parsed;
}
