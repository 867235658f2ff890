import type { OptionSpec } from "../../config/options.ts";

/** The Azure Blob archive sink's own settings (its container is `sinkUrl`, shared with the other remote sinks). */
export const AZBLOB_SINK_OPTIONS = [
  {
    key: "sinkBlobEndpoint",
    flag: "--sink-blob-endpoint",
    env: "AUDITFEED_SINK_BLOB_ENDPOINT",
    description: "Blob endpoint of the archive's storage account (another cloud's host, a private endpoint, or Azurite's http://127.0.0.1:<port>/<account>).",
    defaultText: "https://<account>.blob.<cloud's storage suffix>",
    sinks: ["azblob"],
  },
  {
    key: "sinkAccountKey",
    flag: null,
    env: "AUDITFEED_SINK_ACCOUNT_KEY",
    description:
      "Shared key of the archive's storage account, for Azurite and local tests only (environment or file, never a flag); without it the managed identity signs in (managedIdentityClientId).",
    defaultText: "none: the managed identity",
    secret: true,
    sinks: ["azblob"],
  },
] as const satisfies readonly OptionSpec[];
