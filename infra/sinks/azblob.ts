import { jobContainer } from "./blob-container.ts";
import type { SinkInfra } from "./sink-infra.ts";

/** Container of the archive in the tenant's own storage account; in MSSP mode `archive-<customer>` in the provider's. */
export const ARCHIVE_CONTAINER_NAME = "auditfeed-archive";

/**
 * The Azure Blob archive sink: a container of the stack's storage account, which the job's identity alone may write
 * (the account's shared keys are off), named by the options the collector reads.
 */
export const azblobInfra: SinkInfra = {
  provides: { sinkUrl: `azblob://stackaccount/${ARCHIVE_CONTAINER_NAME}`, sinkBlobEndpoint: "https://stackaccount.blob.core.windows.net" },
  why: "the archive is a container the stack creates in its storage account, with access for the job's identity alone",
  declare(context) {
    const archive = jobContainer(context, "archive", { dedicated: ARCHIVE_CONTAINER_NAME, shared: "archive" });
    return {
      wiring: {
        settings: [
          { option: "sinkUrl", value: archive.location },
          { option: "sinkBlobEndpoint", value: context.storage.blobEndpoint },
        ],
        secrets: [],
        files: [],
      },
      readiness: archive.readiness,
    };
  },
};
