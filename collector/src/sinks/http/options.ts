import type { OptionSpec } from "../../config/options.ts";

/** The HTTP sink's own settings in the collector's options table (the shared remote ones are in remote/options.ts). */
export const HTTP_SINK_OPTIONS = [
  {
    key: "sinkPreset",
    flag: "--sink-preset",
    env: "AUDITFEED_SINK_PRESET",
    description: "The HTTP intake: splunk-hec, elasticsearch (also OpenSearch), sekoia or webhook (NDJSON).",
    defaultText: "required",
    sinks: ["http"],
  },
  {
    key: "sinkIndex",
    flag: "--sink-index",
    env: "AUDITFEED_SINK_INDEX",
    description: "Elasticsearch index or data stream (required there); Splunk index (the token's default when unset).",
    defaultText: "none",
    sinks: ["http"],
  },
  {
    key: "sinkAck",
    flag: "--sink-ack",
    env: "AUDITFEED_SINK_ACK",
    description: "Splunk HEC indexer acknowledgement: on when the token has it enabled (a batch counts only once indexed).",
    defaultText: "off",
    sinks: ["http"],
  },
  {
    key: "sinkHeader",
    flag: "--sink-header",
    env: "AUDITFEED_SINK_HEADER",
    description: "Webhook: the header that carries sinkSecret, e.g. Authorization (give the value as 'Bearer <token>') or X-Api-Key.",
    defaultText: "Authorization",
    sinks: ["http"],
  },
  {
    key: "sinkGzip",
    flag: "--sink-gzip",
    env: "AUDITFEED_SINK_GZIP",
    description: "Compress request bodies with gzip: on or off.",
    defaultText: "on",
    sinks: ["http"],
  },
  {
    key: "sinkBatchRecords",
    flag: "--sink-batch-records",
    env: "AUDITFEED_SINK_BATCH_RECORDS",
    description: "Most records in one request.",
    defaultText: "the preset's (see sinks/http/README.md)",
    sinks: ["http"],
  },
  {
    key: "sinkBatchBytes",
    flag: "--sink-batch-bytes",
    env: "AUDITFEED_SINK_BATCH_BYTES",
    description: "Largest request body before compression; a single record larger than this goes to the dead letter.",
    defaultText: "the preset's (see sinks/http/README.md)",
    sinks: ["http"],
  },
] as const satisfies readonly OptionSpec[];
