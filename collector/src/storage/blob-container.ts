import { ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import { ContainerClient, StorageSharedKeyCredential } from "@azure/storage-blob";

/** A folder of a container in Azure Blob storage, and how to sign in to it (state, archive sink, dead letter). */
export interface BlobFolder {
  readonly account: string;
  readonly container: string;
  /** Folder in the container ("" for its root). */
  readonly prefix: string;
  /** The account's blob endpoint, without a trailing slash. */
  readonly accountUrl: string;
  /** Azurite and local tests only; absent means the managed identity. */
  readonly accountKey?: string;
  /** The user-assigned managed identity that signs in to storage (absent: system-assigned). */
  readonly managedIdentityClientId?: string;
}

const REQUEST_TIMEOUT_MS = 30_000;

/**
 * How the collector signs in to storage: as the job's user-assigned managed identity, explicitly (in the job
 * AZURE_CLIENT_ID and friends may describe the app registration the collector signs in as to the Management API, which
 * must never be the identity that writes storage); an account key is for Azurite.
 */
export function blobCredential(folder: BlobFolder): TokenCredential | StorageSharedKeyCredential {
  if (folder.accountKey !== undefined) return new StorageSharedKeyCredential(folder.account, folder.accountKey);
  return new ManagedIdentityCredential(folder.managedIdentityClientId === undefined ? {} : { clientId: folder.managedIdentityClientId });
}

/** The folder's container, with the SDK's retries bounded so that a stop or a dead endpoint is not waited out for long. */
export function blobContainerClient(folder: BlobFolder): ContainerClient {
  return new ContainerClient(`${folder.accountUrl.replace(/\/+$/, "")}/${folder.container}`, blobCredential(folder), {
    retryOptions: { maxTries: 4, tryTimeoutInMs: REQUEST_TIMEOUT_MS },
  });
}

/** The blob name of `name` inside the folder. */
export function blobName(folder: BlobFolder, name: string): string {
  return folder.prefix === "" ? name : `${folder.prefix.replace(/\/+$/, "")}/${name}`;
}

/** How a folder is named in logs and messages (never a key). */
export function describeBlobFolder(folder: BlobFolder): string {
  return `azblob://${folder.account}/${folder.container}${folder.prefix === "" ? "" : `/${folder.prefix}`} (${folder.accountUrl})`;
}
