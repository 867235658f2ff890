import type { BlobFolder } from "../storage/blob-container.ts";
import { CLOUDS, isCloudName } from "./clouds.ts";
import type { OptionReader } from "./option-reader.ts";
import type { OptionKey } from "./options.ts";
import { parseAzblobLocation } from "./state-location.ts";
import { parseGuid } from "./values.ts";

/** The options that name a Blob folder: its `azblob://` location, the account's endpoint, and its key (Azurite only). */
export interface BlobFolderKeys {
  readonly location: OptionKey;
  readonly endpoint: OptionKey;
  readonly accountKey: OptionKey;
}

/**
 * A Blob folder read through a sink's option reader (the archive sink, the Blob dead letter), by the same rules as the
 * state's location: the cloud's endpoint unless one is given, an account key for Azurite, else the managed identity.
 * `text` is the location's value; a problem is reported on the option that caused it.
 */
export function readBlobFolder(options: OptionReader, keys: BlobFolderKeys, text: string): BlobFolder | undefined {
  const cloudName = options.value("cloud", (value) => ({ ok: true, value }), "commercial");
  const cloud = CLOUDS[isCloudName(cloudName) ? cloudName : "commercial"];
  const endpoint = options.value<string | undefined>(keys.endpoint, (value) => ({ ok: true, value }), undefined);
  const accountKey = options.value<string | undefined>(keys.accountKey, (value) => ({ ok: true, value }), undefined);
  // Checked where the collector's credential reads it; here a value that is not a GUID only means "not this one".
  const identity = options.value<string | undefined>(
    "managedIdentityClientId",
    (value) => {
      const parsed = parseGuid(value);
      return { ok: true, value: parsed.ok ? parsed.value : undefined };
    },
    undefined,
  );
  const parsed = parseAzblobLocation(text, endpoint, cloud);
  if (!parsed.ok) {
    const where = endpoint !== undefined && parsed.problem.startsWith("the blob endpoint") ? options.where(keys.endpoint) : options.where(keys.location);
    options.problem(`${where ?? keys.location} is invalid: ${parsed.problem}.`);
    return undefined;
  }
  return {
    ...parsed.value,
    ...(accountKey === undefined ? {} : { accountKey }),
    ...(identity === undefined ? {} : { managedIdentityClientId: identity }),
  };
}
