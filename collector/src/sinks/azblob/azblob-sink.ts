import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import type { ContainerClient } from "@azure/storage-blob";
import { AuditfeedError } from "../../errors.ts";
import type { Logger } from "../../log/logger.ts";
import { storageErrorCode, storageStatus } from "../../storage/storage-errors.ts";
import { blobContainerClient, blobName, describeBlobFolder, type BlobFolder } from "../../storage/blob-container.ts";
import { pool } from "../../storage/pool.ts";
import type { OutboundRecord, Sink, SinkCheckpoint } from "../sink.ts";
import { sinkError } from "../sink-error.ts";
import { fromCheckpoint, parseMarker, toCheckpoint, type ArchiveCheckpoint } from "./checkpoint.ts";
import { archiveBlob, blockId } from "./layout.ts";

const compress = promisify(gzip);
/** Archive blobs staged or committed at the same time. */
const CONCURRENCY = 8;
const MARKER = ".auditfeed-archive.json";
const HEADERS = { blobContentType: "application/x-ndjson", blobContentEncoding: "gzip" };

/**
 * Archives records into Azure Blob storage as gzip NDJSON, one block blob per content type and CreationTime hour,
 * exactly once. A flush stages one block per blob it touches (a gzip member: concatenated members are one valid gzip
 * stream), invisible to readers; only after the state commit that names the flush does `committed` append those
 * blocks to their blobs' committed block lists. Block ids derive from the flush number, and the checkpoint names the
 * blobs of its flush, so a process killed between the state commit and the block lists is completed on the next
 * `open` (the staged blocks are still there), and one killed before the state commit leaves only staged blocks that
 * nothing ever commits (the redo stages the same ids again, replacing them). See collector/src/sinks/azblob/README.md.
 */
export class AzureBlobArchiveSink implements Sink {
  readonly name = "azblob";
  readonly delivery = "exactly-once" as const;
  readonly #folder: BlobFolder;
  readonly #container: ContainerClient;
  readonly #logger: Logger;
  readonly #signal: AbortSignal | undefined;
  /** The collector's stop, as the storage SDK's options take it: every request ends at once. */
  readonly #abort: { abortSignal?: AbortSignal };
  readonly #where: string;
  /** The archive's id (its marker's), and the last flush committed to the state. */
  #committed: ArchiveCheckpoint | undefined;
  /** The flush staged and waiting for its state commit. */
  #staged: ArchiveCheckpoint | undefined;
  /** Per archive blob: gzip members of the records up to the last savepoint, and the lines written since. */
  #sealed = new Map<string, Buffer[]>();
  #open = new Map<string, string[]>();
  /** Per archive blob: its committed block list as last read or written (read once per blob and run). */
  readonly #blockLists = new Map<string, string[]>();

  constructor(options: { folder: BlobFolder; logger: Logger; signal: AbortSignal | undefined }) {
    this.#folder = options.folder;
    this.#container = blobContainerClient(options.folder);
    this.#logger = options.logger;
    this.#signal = options.signal;
    this.#abort = options.signal === undefined ? {} : { abortSignal: options.signal };
    this.#where = describeBlobFolder(options.folder);
  }

  /**
   * Completes a committed flush whose blocks did not reach their blobs, and refuses an archive that a state does not
   * describe: one whose marker is from another archive id or from a later flush than the state's (a state restored
   * from an older backup would write again what a later commit delivered), or, with no state yet, one that exists.
   */
  async open(checkpoint: SinkCheckpoint | null): Promise<void> {
    this.#clear();
    this.#staged = undefined;
    const marker = await this.#storage("read the archive's marker", () => this.#readMarker());
    if (checkpoint === null) {
      if (marker !== null) throw this.#mismatch(`it already holds an archive (marker ${MARKER}, flush ${marker.flush}) but the state is new`);
      this.#committed = undefined;
      return;
    }
    const state = fromCheckpoint(checkpoint, this.#where);
    if (marker !== null && (marker.archive !== state.archive || marker.flush > state.flush)) {
      throw this.#mismatch(
        marker.archive !== state.archive
          ? `it holds archive ${marker.archive}, but the state describes archive ${state.archive}`
          : `its marker says flush ${marker.flush} was committed, but the state's checkpoint is flush ${state.flush} (a state older than the archive)`,
      );
    }
    this.#committed = state;
    if (marker === null || marker.flush < state.flush) {
      await this.#storage("complete the last committed flush", () => this.#commitBlocks(state));
      this.#logger.info("Completed the archive's last committed flush after a restart.", { flush: state.flush, blobs: state.blobs.length });
    }
  }

  write(records: readonly OutboundRecord[]): Promise<void> {
    for (const record of records) {
      const name = archiveBlob(record);
      const lines = this.#open.get(name);
      if (lines === undefined) this.#open.set(name, [`${record.json}\n`]);
      else lines.push(`${record.json}\n`);
    }
    return Promise.resolve();
  }

  /** Compresses what was written since the last savepoint: it stays for the flush, and memory holds it gzipped. */
  async savepoint(): Promise<void> {
    const open = this.#open;
    this.#open = new Map();
    for (const [name, lines] of open) {
      const member = await compress(lines.join(""));
      const members = this.#sealed.get(name);
      if (members === undefined) this.#sealed.set(name, [member]);
      else members.push(member);
    }
  }

  rollback(): Promise<void> {
    this.#open = new Map();
    return Promise.resolve();
  }

  /**
   * Stages one block per archive blob touched since the last flush; nothing is visible to readers yet. Returns the
   * checkpoint naming this flush and its blobs (an empty flush changes nothing: the committed checkpoint again).
   */
  async flush(): Promise<SinkCheckpoint> {
    await this.savepoint();
    const archive = this.#committed?.archive ?? randomUUID();
    if (this.#sealed.size === 0 && this.#committed !== undefined) return toCheckpoint(this.#committed);
    const flush = (this.#committed?.flush ?? -1) + 1;
    const sealed = [...this.#sealed];
    const id = blockId(flush);
    await this.#storage("stage a flush", () =>
      pool(sealed, CONCURRENCY, async ([name, members]) => {
        const body = Buffer.concat(members);
        await this.#container.getBlockBlobClient(blobName(this.#folder, name)).stageBlock(id, body, body.length, this.#abort);
      }),
    );
    this.#sealed = new Map();
    this.#staged = { archive, flush, blobs: sealed.map(([name]) => name).sort() };
    return toCheckpoint(this.#staged);
  }

  /** The state committed the flush: its blocks join their blobs' committed lists, then the marker records it. */
  async committed(checkpoint: SinkCheckpoint | null): Promise<void> {
    if (checkpoint === null) return;
    const state = fromCheckpoint(checkpoint, this.#where);
    if (state.flush === this.#committed?.flush && state.archive === this.#committed.archive) return;
    this.#committed = state;
    this.#staged = undefined;
    await this.#storage("commit a flush", () => this.#commitBlocks(state));
  }

  /** Forgets the uncommitted group; its staged blocks stay uncommitted until the redo stages the same ids again. */
  discard(): Promise<void> {
    this.#clear();
    this.#staged = undefined;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.#clear();
    return Promise.resolve();
  }

  /** Stages a block in a probe blob that is never committed: writable, and nothing a reader of the archive sees. */
  async check(): Promise<void> {
    await this.#storage("stage a probe block", () =>
      this.#container.getBlockBlobClient(blobName(this.#folder, ".auditfeed-probe")).stageBlock(blockId(0), "probe", 5, this.#abort),
    );
  }

  /** Appends the flush's block to each blob it names (unless it is there already), then records the flush in the marker. */
  async #commitBlocks(state: ArchiveCheckpoint): Promise<void> {
    const id = blockId(state.flush);
    await pool(state.blobs, CONCURRENCY, async (name) => {
      const blob = this.#container.getBlockBlobClient(blobName(this.#folder, name));
      let committed = this.#blockLists.get(name);
      if (committed === undefined || !committed.includes(id)) {
        const list = await blob.getBlockList("all", this.#abort).catch((error: unknown) => {
          if (storageStatus(error) === 404) return { committedBlocks: [], uncommittedBlocks: [] };
          throw error;
        });
        committed = (list.committedBlocks ?? []).map((block) => block.name);
        if (!committed.includes(id)) {
          if (!(list.uncommittedBlocks ?? []).some((block) => block.name === id)) {
            throw this.#mismatch(`flush ${state.flush} is committed in the state, but its block is missing from ${name}`);
          }
          committed = [...committed, id];
          await blob.commitBlockList(committed, { blobHTTPHeaders: HEADERS, ...this.#abort });
        }
      }
      this.#blockLists.set(name, committed);
    });
    const marker = JSON.stringify({ archive: state.archive, flush: state.flush });
    await this.#container.getBlockBlobClient(blobName(this.#folder, MARKER)).upload(marker, Buffer.byteLength(marker), this.#abort);
  }

  async #readMarker(): Promise<{ archive: string; flush: number } | null> {
    let text: string;
    try {
      text = (await this.#container.getBlockBlobClient(blobName(this.#folder, MARKER)).downloadToBuffer(0, undefined, this.#abort)).toString("utf8");
    } catch (error) {
      if (storageStatus(error) === 404 && storageErrorCode(error) !== "ContainerNotFound") return null;
      throw error;
    }
    const marker = parseMarker(text);
    if (marker === null) throw this.#mismatch(`its ${MARKER} is not a marker auditfeed wrote`);
    return marker;
  }

  #clear(): void {
    this.#sealed = new Map();
    this.#open = new Map();
  }

  #mismatch(why: string): AuditfeedError {
    return new AuditfeedError(
      "AF_ERR_STATE_MISMATCH",
      `azblob sink: the archive ${this.#where} and the state do not belong together: ${why}. Nothing was changed. Point the sink at the archive folder this state wrote, or start a new state with a new, empty archive folder (sinkUrl).`,
    );
  }

  /** Runs a storage step; a failure becomes a sink error that says what to fix (access, container) or to retry. */
  async #storage<T>(what: string, step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof AuditfeedError || this.#signal?.aborted === true) throw error;
      const status = storageStatus(error);
      const code = storageErrorCode(error);
      if (status === 403) {
        throw sinkError(
          this.name,
          `could not ${what} in ${this.#where}: access denied (${code ?? "403"}). Grant the collector's identity Storage Blob Data Contributor on the container (or check sinkAccountKey).`,
          { retryable: false, cause: error },
        );
      }
      if (code === "ContainerNotFound") {
        throw sinkError(this.name, `could not ${what}: the container of ${this.#where} does not exist. Create it (the Pulumi stack does).`, {
          retryable: false,
          cause: error,
        });
      }
      throw sinkError(
        this.name,
        `could not ${what} in ${this.#where} (${code ?? (error instanceof Error ? error.message : String(error))}); retried next cycle.`,
        {
          retryable: true,
          cause: error,
        },
      );
    }
  }
}
