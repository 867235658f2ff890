import type { ContainerClient } from "@azure/storage-blob";
import type { Logger } from "../../log/logger.ts";
import { blobContainerClient, blobName, describeBlobFolder, type BlobFolder } from "../../storage/blob-container.ts";
import { storageErrorCode, storageStatus } from "../../storage/storage-errors.ts";
import { sinkError } from "../sink-error.ts";
import { deadLetterLines, logDeadLettered, type DeadLetter, type RejectedRecord } from "./dead-letter.ts";

/** The most one append may carry (the service's limit for an append block, 4 MiB). */
const MAX_APPEND_BYTES = 4 * 1_048_576;

/**
 * The dead letter in a folder of a Blob container, for a collector whose disk does not last (the Container Apps Job):
 * the same NDJSON lines as the file dead letter (`deadLetterLines`), appended to the append blob
 * `<folder>/<sink>-dead-letter/<YYYY-MM-DDTHH>.ndjson` of the hour they were refused in (an append blob takes at most
 * 50,000 appends; one per hour stays far below). An append is durable once the service answered it.
 */
export class BlobDeadLetter implements DeadLetter {
  readonly location: string;
  readonly #folder: BlobFolder;
  readonly #container: ContainerClient;
  readonly #sink: string;
  readonly #logger: Logger;
  readonly #now: () => Date;
  #count = 0;

  constructor(options: { folder: BlobFolder; sink: string; logger: Logger; now?: () => Date }) {
    this.#folder = options.folder;
    this.#container = blobContainerClient(options.folder);
    this.#sink = options.sink;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.location = `${describeBlobFolder(options.folder)} ${options.sink}-dead-letter/`;
  }

  get count(): number {
    return this.#count;
  }

  async put(rejected: readonly RejectedRecord[]): Promise<void> {
    if (rejected.length === 0) return;
    const now = this.#now();
    const blob = this.#container.getAppendBlobClient(blobName(this.#folder, `${this.#sink}-dead-letter/${now.toISOString().slice(0, 13)}.ndjson`));
    try {
      await blob.createIfNotExists({ blobHTTPHeaders: { blobContentType: "application/x-ndjson" } });
      for (const chunk of chunks(deadLetterLines(rejected, this.#sink, now))) await blob.appendBlock(chunk, chunk.length);
    } catch (error) {
      const denied = storageStatus(error) === 403;
      throw sinkError(
        this.#sink,
        `${rejected.length} record(s) the destination refused could not be written to the dead letter ${this.location} (${storageErrorCode(error) ?? String(error)}): they stay undelivered and are retried. ${denied ? "Grant the collector's identity Storage Blob Data Contributor on the dead letter's container." : "Check the dead letter's container (deadLetter)."}`,
        { retryable: true, cause: error },
      );
    }
    this.#count += rejected.length;
    logDeadLettered(this.#logger, rejected, this.location, this.#count);
  }
}

/** The lines in appends of at most MAX_APPEND_BYTES; a line longer than that goes alone (and the service may refuse it). */
function* chunks(lines: readonly string[]): Generator<Buffer> {
  let parts: Buffer[] = [];
  let size = 0;
  for (const line of lines) {
    const bytes = Buffer.from(line);
    if (size > 0 && size + bytes.length > MAX_APPEND_BYTES) {
      yield Buffer.concat(parts);
      parts = [];
      size = 0;
    }
    parts.push(bytes);
    size += bytes.length;
  }
  if (size > 0) yield Buffer.concat(parts);
}
