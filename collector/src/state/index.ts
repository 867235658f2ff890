import type { StateConfig } from "../config/state-location.ts";
import { blobCredential, describeBlobFolder } from "../storage/blob-container.ts";
import { AzureBlobStateStore } from "./azblob/azblob-store.ts";
import { SqliteStateStore } from "./sqlite-store.ts";
import type { StateStore } from "./store.ts";

/** The state store the configuration names; the Blob store signs in as `blobCredential` says. */
export function createStateStore(state: StateConfig, options: { readonly dedupeHorizonMs: number; readonly now: () => Date }): StateStore {
  switch (state.kind) {
    case "sqlite":
      return new SqliteStateStore({ path: state.path, ...options });
    case "azblob":
      return new AzureBlobStateStore({
        accountUrl: state.accountUrl,
        container: state.container,
        prefix: state.prefix,
        credential: blobCredential(state),
        ...options,
      });
  }
}

/** How the configured state is named in logs and messages (never a key). */
export function describeState(state: StateConfig): string {
  return state.kind === "sqlite" ? state.path : describeBlobFolder(state);
}
