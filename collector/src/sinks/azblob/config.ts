import { readBlobFolder } from "../../config/blob-folder.ts";
import type { OptionReader } from "../../config/option-reader.ts";
import { isAzblobLocation } from "../../config/state-location.ts";
import type { BlobFolder } from "../../storage/blob-container.ts";

/** The Azure Blob archive sink's settings: the folder of a container it archives into. */
export interface AzblobSinkConfig {
  readonly kind: "azblob";
  readonly folder: BlobFolder;
}

const PLACEHOLDER: BlobFolder = { account: "", container: "", prefix: "", accountUrl: "" };

export function readAzblobSinkConfig(options: OptionReader): AzblobSinkConfig {
  const location = options.required(
    "sinkUrl",
    (text) => (isAzblobLocation(text) ? { ok: true, value: text } : { ok: false, expected: "azblob://<account>/<container>[/<prefix>]" }),
    "",
    "the archive's container, as azblob://<account>/<container>[/<prefix>].",
  );
  const folder =
    location === "" ? undefined : readBlobFolder(options, { location: "sinkUrl", endpoint: "sinkBlobEndpoint", accountKey: "sinkAccountKey" }, location);
  return { kind: "azblob", folder: folder ?? PLACEHOLDER };
}
