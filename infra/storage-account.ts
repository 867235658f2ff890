import * as storage from "@pulumi/azure-native/storage/index.js";
import type * as pulumi from "@pulumi/pulumi";

/**
 * The storage account that holds collector state (and, in a tenant stack, the archive and dead letter): reachable only
 * with Entra tokens over TLS 1.2+ (no shared keys, no public blobs), so the job's managed identity and its role
 * assignments are the only way in.
 */
export function collectorStorageAccount(
  name: string,
  where: { readonly resourceGroupName: pulumi.Input<string>; readonly location: pulumi.Input<string> },
  options: pulumi.CustomResourceOptions,
): storage.StorageAccount {
  return new storage.StorageAccount(
    name,
    {
      ...where,
      kind: storage.Kind.StorageV2,
      sku: { name: storage.SkuName.Standard_LRS },
      allowSharedKeyAccess: false,
      allowBlobPublicAccess: false,
      defaultToOAuthAuthentication: true,
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
    },
    options,
  );
}
