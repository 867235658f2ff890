import { SINK_OPTIONS } from "../sinks/options.ts";
import { SINK_KINDS, type SinkKind } from "../sinks/kinds.ts";

/**
 * Every setting of the collector, once: its key in the JSON config file, its flag, its environment variable, and the
 * text `--help` prints. `loadConfig` reads the three sources through this table, so they cannot drift apart.
 */
export interface OptionSpec {
  /** Key in the JSON config file (and the name used in messages). */
  readonly key: string;
  /** Command-line flag, or null when the value must not appear in a process listing (secrets). */
  readonly flag: string | null;
  readonly env: string;
  readonly description: string;
  /** Default as shown to people. */
  readonly defaultText: string;
  /** A filesystem path: relative values resolve against the working directory (flag, env) or the config file's folder. */
  readonly isPath?: boolean;
  /** A secret: never a flag, never shown in a message, a Key Vault reference in the Job. */
  readonly secret?: boolean;
  /**
   * A path whose file holds secret material (a private key): the path itself may be shown, but the stack takes the
   * file's content only as a Pulumi secret.
   */
  readonly secretFile?: boolean;
  /** The sinks this option configures (declared in the sink's folder); absent for the collector's own options. */
  readonly sinks?: readonly SinkKind[];
}

export const CONFIG_FILE_OPTION = {
  key: "config",
  flag: "--config",
  env: "AUDITFEED_CONFIG",
  description: "JSON config file whose keys are the names in the first column; flags and environment override it.",
  defaultText: "none",
} as const satisfies OptionSpec;

export const OPTIONS = [
  {
    key: "cloud",
    flag: "--cloud",
    env: "AUDITFEED_CLOUD",
    description: "Microsoft cloud of the tenant: commercial, gcc, gcchigh or dod.",
    defaultText: "commercial",
  },
  {
    key: "tenantId",
    flag: "--tenant-id",
    env: "AUDITFEED_TENANT_ID",
    description: "Directory (tenant) ID whose audit log is collected.",
    defaultText: "required",
  },
  {
    key: "clientId",
    flag: "--client-id",
    env: "AUDITFEED_CLIENT_ID",
    description: "Application (client) ID of the app registration with ActivityFeed.Read.",
    defaultText: "required",
  },
  {
    key: "credential",
    flag: "--credential",
    env: "AUDITFEED_CREDENTIAL",
    description: "How the app proves itself: secret, certificate, federated (managed identity assertion) or workload-identity.",
    defaultText: "secret when clientSecret is set, certificate when certificatePath is set",
  },
  {
    key: "clientSecret",
    flag: null,
    env: "AUDITFEED_CLIENT_SECRET",
    description: "Client secret (environment or file only, never a flag, so it stays out of process listings).",
    defaultText: "none",
    secret: true,
  },
  {
    key: "certificatePath",
    flag: "--certificate-path",
    env: "AUDITFEED_CERTIFICATE_PATH",
    description: "PEM file holding the app's certificate and its private key.",
    defaultText: "none",
    isPath: true,
  },
  {
    key: "managedIdentityClientId",
    flag: "--managed-identity-client-id",
    env: "AUDITFEED_MANAGED_IDENTITY_CLIENT_ID",
    description: "Client ID of the user-assigned managed identity that signs the federated assertion (omit for system-assigned).",
    defaultText: "system-assigned",
  },
  {
    key: "publisherIdentifier",
    flag: "--publisher-id",
    env: "AUDITFEED_PUBLISHER_ID",
    description: "PublisherIdentifier sent on every call: the tenant GUID of whoever operates this collector; it picks the throttling bucket.",
    defaultText: "tenantId (right for in-house use)",
  },
  {
    key: "contentTypes",
    flag: "--content-types",
    env: "AUDITFEED_CONTENT_TYPES",
    description: "Comma-separated content types to collect.",
    defaultText: "all five",
  },
  {
    key: "lookback",
    flag: "--lookback",
    env: "AUDITFEED_LOOKBACK",
    description: "How far back the first run starts (at most 7d, the API's limit).",
    defaultText: "1h",
  },
  {
    key: "overlap",
    flag: "--overlap",
    env: "AUDITFEED_OVERLAP",
    description: "Recent span listed again every cycle so blobs that appear late are still found.",
    defaultText: "24h",
  },
  { key: "pollInterval", flag: "--poll-interval", env: "AUDITFEED_POLL_INTERVAL", description: "Pause between cycles of `auditfeed run`.", defaultText: "5m" },
  {
    key: "requestsPerMinute",
    flag: "--requests-per-minute",
    env: "AUDITFEED_REQUESTS_PER_MINUTE",
    description: "Request budget for the tenant; lower it if throttling (AF429) is logged often.",
    defaultText: "2000",
  },
  {
    key: "fetchConcurrency",
    flag: "--fetch-concurrency",
    env: "AUDITFEED_FETCH_CONCURRENCY",
    description: "Blobs downloaded at the same time.",
    defaultText: "4",
  },
  {
    key: "dedupeHorizon",
    flag: "--dedupe-horizon",
    env: "AUDITFEED_DEDUPE_HORIZON",
    description: "How long delivered record ids are remembered to drop duplicates.",
    defaultText: "8d",
  },
  {
    key: "managementUrl",
    flag: "--management-url",
    env: "AUDITFEED_MANAGEMENT_URL",
    description: "Management API base URL override (the emulator); the only place a token is sent.",
    defaultText: "https://<cloud's management host>",
  },
  {
    key: "authorityUrl",
    flag: "--authority-url",
    env: "AUDITFEED_AUTHORITY_URL",
    description: "Entra authority override (the emulator).",
    defaultText: "https://<cloud's login host>",
  },
  {
    key: "managedIdentityUrl",
    flag: "--managed-identity-url",
    env: "AUDITFEED_MANAGED_IDENTITY_URL",
    description: "Managed identity endpoint override for federated credentials (the emulator); sets IDENTITY_ENDPOINT, and IDENTITY_HEADER must be set too.",
    defaultText: "the platform's",
  },
  {
    key: "caFile",
    flag: "--ca-file",
    env: "AUDITFEED_CA_FILE",
    description: "Extra PEM CA certificate to trust, besides the system's (the emulator's CA).",
    defaultText: "none",
    isPath: true,
  },
  {
    key: "sink",
    flag: "--sink",
    env: "AUDITFEED_SINK",
    description: `Where events go: ${SINK_KINDS.join(", ")} (see collector/src/sinks/<sink>/README.md).`,
    defaultText: "file",
  },
  ...SINK_OPTIONS,
  {
    key: "state",
    flag: "--state",
    env: "AUDITFEED_STATE",
    description:
      "Where cursors, the blob ledger and delivered ids are kept: an SQLite file path, or azblob://<account>/<container>[/<prefix>] (Azure Blob storage, one run at a time by a lease; what the Container Apps Job uses).",
    defaultText: "./auditfeed-data/state.sqlite",
    isPath: true,
  },
  {
    key: "stateBlobEndpoint",
    flag: "--state-blob-endpoint",
    env: "AUDITFEED_STATE_BLOB_ENDPOINT",
    description:
      "Blob endpoint of the azblob state's storage account (another cloud's host, a private endpoint, or Azurite's http://127.0.0.1:<port>/<account>).",
    defaultText: "https://<account>.blob.<cloud's storage suffix>",
  },
  {
    key: "stateAccountKey",
    flag: null,
    env: "AUDITFEED_STATE_ACCOUNT_KEY",
    description:
      "Shared key of the azblob state's storage account, for Azurite and local tests only (environment or file, never a flag); without it the managed identity signs in (managedIdentityClientId).",
    defaultText: "none: the managed identity",
    secret: true,
  },
  { key: "logLevel", flag: "--log-level", env: "AUDITFEED_LOG_LEVEL", description: "debug, info, warn or error.", defaultText: "info" },
  {
    key: "metricsListen",
    flag: "--metrics-listen",
    env: "AUDITFEED_METRICS_LISTEN",
    description: "host:port of the Prometheus endpoint (/metrics) of `run` and `once`, e.g. 0.0.0.0:9464 in a container.",
    defaultText: "off",
  },
  {
    key: "otlpMetricsUrl",
    flag: "--otlp-metrics-url",
    env: "AUDITFEED_OTLP_METRICS_URL",
    description: "OTLP/HTTP metrics endpoint to push to, e.g. http://otel-collector:4318/v1/metrics.",
    defaultText: "off",
  },
  {
    key: "metricsInterval",
    flag: "--metrics-interval",
    env: "AUDITFEED_METRICS_INTERVAL",
    description: "How often metrics are pushed over OTLP (a run that ends pushes what is left).",
    defaultText: "60s",
  },
] as const satisfies readonly OptionSpec[];

export type OptionKey = (typeof OPTIONS)[number]["key"];

/** `node:util` parseArgs options for every flag above, so a command can merge them with its own. */
export function configFlagOptions(): Record<string, { type: "string" }> {
  const flags: Record<string, { type: "string" }> = { [CONFIG_FILE_OPTION.flag.slice(2)]: { type: "string" } };
  for (const option of OPTIONS as readonly OptionSpec[]) {
    if (option.flag !== null) flags[option.flag.slice(2)] = { type: "string" };
  }
  return flags;
}

/** The options table as `--help` prints it. */
export function configHelp(): string {
  const rows = [CONFIG_FILE_OPTION as OptionSpec, ...(OPTIONS as readonly OptionSpec[])].map((option) => ({
    names: `${option.flag ?? "(no flag)"}, ${option.env}`,
    key: option.key,
    text: `${option.sinks === undefined ? "" : `(${option.sinks.join(", ")} sink) `}${option.description} Default: ${option.defaultText}.`,
  }));
  const width = Math.max(...rows.map((row) => row.names.length));
  const lines = rows.map((row) => `  ${row.names.padEnd(width)}  [${row.key}] ${row.text}`);
  return `Configuration (flags override environment, which overrides the config file):\n${lines.join("\n")}\n`;
}
