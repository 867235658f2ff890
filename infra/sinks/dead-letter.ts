import { jobContainer } from "./blob-container.ts";
import type { SinkInfraContext, SinkInfraResult } from "./sink-infra.ts";

/** Container of the dead letter in the tenant's own storage account; in MSSP mode `dead-letter-<customer>` in the provider's. */
export const DEAD_LETTER_CONTAINER_NAME = "auditfeed-dead-letter";

/**
 * The dead letter of a sink that has one (the collector's `deadLetter` option): a container of the stack's storage
 * account, since records refused for good must outlive the job's disk, which Container Apps throws away after every run.
 */
export function deadLetterInfra(context: SinkInfraContext): SinkInfraResult {
  const deadLetter = jobContainer(context, "dead-letter", { dedicated: DEAD_LETTER_CONTAINER_NAME, shared: "dead-letter" });
  return {
    wiring: {
      settings: [
        { option: "deadLetter", value: deadLetter.location },
        { option: "deadLetterBlobEndpoint", value: context.storage.blobEndpoint },
      ],
      secrets: [],
      files: [],
    },
    readiness: deadLetter.readiness,
  };
}
