import type { Logger } from "../../log/logger.ts";
import type { BlobFolder } from "../../storage/blob-container.ts";
import { FileDeadLetter, type DeadLetter } from "./dead-letter.ts";
import { BlobDeadLetter } from "./dead-letter-blob.ts";

/** Where a remote sink's dead letter is: a local folder, or a folder of a Blob container (the Container Apps Job's). */
export type DeadLetterLocation = { readonly kind: "folder"; readonly directory: string } | { readonly kind: "azblob"; readonly folder: BlobFolder };

/** The dead letter at `location` for `sink`. */
export function createDeadLetter(location: DeadLetterLocation, sink: string, logger: Logger): DeadLetter {
  return location.kind === "folder"
    ? new FileDeadLetter({ directory: location.directory, sink, logger })
    : new BlobDeadLetter({ folder: location.folder, sink, logger });
}
