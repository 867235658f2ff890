import type { OptionSpec } from "../../config/options.ts";

/** The file sink's settings in the collector's options table. */
export const FILE_SINK_OPTIONS = [
  {
    key: "sinkDir",
    flag: "--sink-dir",
    env: "AUDITFEED_SINK_DIR",
    description: "Folder of the file sink.",
    defaultText: "./auditfeed-data/events",
    isPath: true,
    sinks: ["file"],
  },
  {
    key: "sinkRotateBytes",
    flag: "--sink-rotate-bytes",
    env: "AUDITFEED_SINK_ROTATE_BYTES",
    description:
      "The file sink starts a new segment after the first commit that leaves the current one at or past this size. A commit's records are never split over two segments, so a segment can end past it by up to one commit (whole blobs).",
    defaultText: "128MiB",
    sinks: ["file"],
  },
] as const satisfies readonly OptionSpec[];
