import * as storage from "@pulumi/azure-native/storage/index.js";
import * as pulumi from "@pulumi/pulumi";
import { STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID } from "../well-known-ids.ts";
import type { SinkInfraContext } from "./sink-infra.ts";

/**
 * A private container of the stack's storage account (the provider's in MSSP mode, named per customer there) that the
 * job's identity may read and write, and nothing else: Storage Blob Data Contributor on the container alone (in MSSP
 * mode the provider's identity has it on the whole account already). Returns its `azblob://` location and what the
 * job must wait for.
 */
export function jobContainer(
  context: SinkInfraContext,
  purpose: string,
  names: { readonly dedicated: string; readonly shared: string },
): { location: pulumi.Output<string>; readiness: pulumi.Resource[] } {
  const containerName = context.storage.shared ? `${names.shared}-${context.customer}` : names.dedicated;
  const container = new storage.BlobContainer(
    `${context.name}-${purpose}`,
    {
      resourceGroupName: context.storage.resourceGroupName,
      accountName: context.storage.accountName,
      containerName,
      publicAccess: storage.PublicAccess.None,
    },
    { parent: context.parent },
  );
  const readiness: pulumi.Resource[] = [container];
  if (!context.storage.shared)
    readiness.push(context.grant(`${context.name}-${purpose}-blob-contributor`, container.id, STORAGE_BLOB_DATA_CONTRIBUTOR_ROLE_ID));
  return { location: pulumi.interpolate`azblob://${context.storage.accountName}/${containerName}`, readiness };
}
