import { ManagedIdentityCredential } from "@azure/identity";
import { StorageSharedKeyCredential } from "@azure/storage-blob";
import type { StateConfig } from "../config/state-location.ts";
import { AzureBlobStateStore } from "./azblob/azblob-store.ts";
import { SqliteStateStore } from "./sqlite-store.ts";
import type { StateStore } from "./store.ts";

/**
 * The state store the configuration names. In Azure the Blob store signs in as the job's user-assigned managed
 * identity, explicitly: in the job AZURE_CLIENT_ID and friends may describe the app registration the collector signs
 * in as to the Management API, which must never be the identity that writes state. An account key is for Azurite.
 */
export function createStateStore(state: StateConfig, options: { readonly dedupeHorizonMs: number; readonly now: () => Date }): StateStore {
  switch (state.kind) {
    case "sqlite":
      return new SqliteStateStore({ path: state.path, ...options });
    case "azblob":
      return new AzureBlobStateStore({
        accountUrl: state.accountUrl,
        container: state.container,
        prefix: state.prefix,
        credential:
          state.accountKey !== undefined
            ? new StorageSharedKeyCredential(state.account, state.accountKey)
            : new ManagedIdentityCredential(state.managedIdentityClientId === undefined ? {} : { clientId: state.managedIdentityClientId }),
        ...options,
      });
  }
}

/** How the configured state is named in logs and messages (never a key). */
export function describeState(state: StateConfig): string {
  return state.kind === "sqlite"
    ? state.path
    : `azblob://${state.account}/${state.container}${state.prefix === "" ? "" : `/${state.prefix}`} (${state.accountUrl})`;
}
