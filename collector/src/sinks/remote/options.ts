import type { OptionSpec } from "../../config/options.ts";

/** Settings every remote sink shares: where, with which secret and CA, and how patiently (the delivery driver's knobs). */
export const REMOTE_SINK_OPTIONS = [
  {
    key: "sinkUrl",
    flag: "--sink-url",
    env: "AUDITFEED_SINK_URL",
    description:
      "Where the sink delivers: an https:// base URL for http (each preset appends its path); tcp://host:port or tls://host:port for syslog; the data collection endpoint's Logs Ingestion URL for sentinel.",
    defaultText: "required",
    sinks: ["http", "syslog", "sentinel"],
  },
  {
    key: "sinkSecret",
    flag: null,
    env: "AUDITFEED_SINK_SECRET",
    description:
      "The destination's credential: HEC token, Elasticsearch API key, Sekoia.io intake key, or the webhook header's value (environment or file only).",
    defaultText: "none",
    secret: true,
    sinks: ["http"],
  },
  {
    key: "sinkCaFile",
    flag: "--sink-ca-file",
    env: "AUDITFEED_SINK_CA_FILE",
    description:
      "PEM CA certificate(s) that sign the destination's TLS certificate, for a private CA; the system's CAs are trusted too (http, syslog over tls://, sentinel).",
    defaultText: "the system's CAs",
    isPath: true,
    sinks: ["http", "syslog", "sentinel"],
  },
  {
    key: "sinkTimeout",
    flag: "--sink-timeout",
    env: "AUDITFEED_SINK_TIMEOUT",
    description: "Longest one request to the destination may take before it is retried.",
    defaultText: "30s",
    sinks: ["http", "syslog", "sentinel"],
  },
  {
    key: "sinkConcurrency",
    flag: "--sink-concurrency",
    env: "AUDITFEED_SINK_CONCURRENCY",
    description: "Requests to the destination in flight at once.",
    defaultText: "4",
    sinks: ["http", "sentinel"],
  },
  {
    key: "sinkMaxElapsed",
    flag: "--sink-max-elapsed",
    env: "AUDITFEED_SINK_MAX_ELAPSED",
    description: "How long a batch is retried before the cycle fails (and is redone next cycle; nothing is lost).",
    defaultText: "5m",
    sinks: ["http", "syslog", "sentinel"],
  },
  {
    key: "deadLetter",
    flag: "--dead-letter",
    env: "AUDITFEED_DEAD_LETTER",
    description: "Folder that receives records the destination refuses for good, with the reason (see sinks/remote/README.md).",
    defaultText: "./auditfeed-data/dead-letter",
    isPath: true,
    sinks: ["http", "syslog", "sentinel"],
  },
] as const satisfies readonly OptionSpec[];
