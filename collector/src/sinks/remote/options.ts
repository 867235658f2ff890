import type { OptionSpec } from "../../config/options.ts";

/** Settings every remote sink shares: where, with which secret and CA, and how patiently (the delivery driver's knobs). */
export const REMOTE_SINK_OPTIONS = [
  {
    key: "sinkUrl",
    flag: "--sink-url",
    env: "AUDITFEED_SINK_URL",
    description:
      "Where the sink delivers: an https:// base URL for http (each preset appends its path); tcp://host:port or tls://host:port for syslog; the data collection endpoint's Logs Ingestion URL for sentinel; azblob://<account>/<container>[/<prefix>] for azblob.",
    defaultText: "required",
    sinks: ["http", "syslog", "sentinel", "azblob"],
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
    description:
      "Where records the destination refuses for good go, with the reason: a folder, or azblob://<account>/<container>[/<prefix>] (Azure Blob storage, what the Container Apps Job uses; see sinks/remote/README.md).",
    defaultText: "./auditfeed-data/dead-letter",
    isPath: true,
    sinks: ["http", "syslog", "sentinel"],
  },
  {
    key: "deadLetterBlobEndpoint",
    flag: "--dead-letter-blob-endpoint",
    env: "AUDITFEED_DEAD_LETTER_BLOB_ENDPOINT",
    description:
      "Blob endpoint of an azblob:// dead letter's storage account (another cloud's host, a private endpoint, or Azurite's http://127.0.0.1:<port>/<account>).",
    defaultText: "https://<account>.blob.<cloud's storage suffix>",
    sinks: ["http", "syslog", "sentinel"],
  },
  {
    key: "deadLetterAccountKey",
    flag: null,
    env: "AUDITFEED_DEAD_LETTER_ACCOUNT_KEY",
    description:
      "Shared key of an azblob:// dead letter's storage account, for Azurite and local tests only (environment or file, never a flag); without it the managed identity signs in.",
    defaultText: "none: the managed identity",
    secret: true,
    sinks: ["http", "syslog", "sentinel"],
  },
] as const satisfies readonly OptionSpec[];
