import { mkdir, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { isAuditfeedError } from "../../errors.ts";
import type { DeliveryGuarantee, OutboundRecord, Sink, SinkCheckpoint } from "../sink.ts";
import { recordBytes } from "../record-bytes.ts";
import { sinkError } from "../sink-error.ts";
import { validateFileSinkConfig, type FileSinkConfig } from "./config.ts";
import { writeMarker, type CommitMarker } from "./commit-marker.ts";
import { checkpointOf, fileCheckpoint, samePosition, type FilePosition } from "./position.ts";
import { recover } from "./recovery.ts";
import { appendToSegment, cutBack, segmentName, syncDirectory } from "./segments.ts";

/**
 * Buffered bytes that trigger a write to the segment before `flush`: bounds memory whatever the batch sizes. Each
 * spill opens, checks and closes the segment; at 4 MiB rather than 1 that costs a quarter as much (about 0.35 µs of
 * CPU less per 1 KB record, docs/performance.md).
 */
export const SPILL_BYTES = 4 * 1024 * 1024;
const LINE_FEED = 0x0a;
const NEWLINE = Buffer.from("\n");

/**
 * NDJSON segments in a directory, exactly once: `flush` makes the written records durable (data fsynced, and the
 * directory when a segment was created), numbers the flush in the folder's marker and returns the position after
 * them; after a crash, `open` with the last committed checkpoint cuts off whatever was provably written after it,
 * and refuses a state that does not belong to the folder. See README.md for the guarantees.
 *
 * Files are created owner-only (segments 0600, the folder 0700): the records are a tenant's full audit log, and the
 * container's other users (or a shipper running as another account) have no business reading it unless an operator
 * grants it.
 */
export class FileSink implements Sink {
  readonly name = "file";
  readonly delivery: DeliveryGuarantee = "exactly-once";
  readonly #directory: string;
  readonly #rotateBytes: number;
  /** Where the last flush ended: what a `discard` returns to. */
  #flushed: FilePosition | undefined;
  /** The folder's marker as last written: its id, the last flush's number, the last acknowledged commit. */
  #marker: CommitMarker | undefined;
  /** Where the next bytes go: the flushed position plus what was spilled since. */
  #next: FilePosition = { segment: 1, offset: 0 };
  /** Each record's bytes and a newline, as written: no line is ever built as a string or encoded again. */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** The last savepoint since the last flush: the spilled position then, and how many `#pending` entries it covered. */
  #savepoint: { readonly position: FilePosition; readonly lines: number; readonly bytes: number } | undefined;
  /** After a discard or a failed write, the file may hold bytes past `#next.offset` that must be cut off, not kept. */
  #tailMayHoldDiscarded = false;
  /** False from the creation of a segment until a flush has made its directory entry durable. */
  #directorySynced = true;

  constructor(config: Omit<FileSinkConfig, "kind">) {
    validateFileSinkConfig({ kind: "file", ...config });
    this.#directory = config.directory;
    this.#rotateBytes = config.rotateBytes;
  }

  /** For doctor: the directory exists (or can be made) and takes a file: a probe file, not a segment, is written, synced and removed. */
  async check(): Promise<void> {
    const probe = join(this.#directory, ".auditfeed-doctor-probe");
    await this.#io("write a probe file", async () => {
      await mkdir(this.#directory, { recursive: true, mode: 0o700 });
      await writeFile(probe, "auditfeed doctor\n", { flush: true, mode: 0o600 });
      await unlink(probe);
    });
  }

  async open(checkpoint: SinkCheckpoint | null): Promise<void> {
    const committed = fileCheckpoint(checkpoint);
    const { position, marker } = await this.#io("recover the committed position", () => recover(this.#directory, committed));
    this.#marker = marker;
    this.#flushed = position;
    this.#next = position;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#savepoint = undefined;
    this.#tailMayHoldDiscarded = false;
    this.#directorySynced = true;
  }

  async write(records: readonly OutboundRecord[]): Promise<void> {
    const flushed = this.#opened();
    if (this.#pendingBytes === 0 && samePosition(this.#next, flushed) && flushed.offset >= this.#rotateBytes) {
      this.#next = { segment: flushed.segment + 1, offset: 0 };
      this.#directorySynced = false;
    }
    for (const record of records) {
      const line = recordBytes(record);
      if (line.includes(LINE_FEED)) {
        throw sinkError("file", `record ${record.id} has a line break in its JSON; NDJSON needs one record per line.`, { retryable: false });
      }
      this.#pending.push(line, NEWLINE);
      this.#pendingBytes += line.length + 1;
      if (this.#pendingBytes >= SPILL_BYTES) await this.#spill(false);
    }
  }

  /** A flush with nothing new returns the last checkpoint again; any other is numbered one past the last. */
  async flush(): Promise<SinkCheckpoint> {
    const flushed = this.#opened();
    const marker = this.#marker as CommitMarker;
    if (this.#pendingBytes === 0 && samePosition(this.#next, flushed) && this.#directorySynced) {
      return checkpointOf(flushed, marker.sink, marker.flushed.sequence);
    }
    if (this.#pendingBytes > 0 || !samePosition(this.#next, flushed)) await this.#spill(true);
    if (!this.#directorySynced) {
      await this.#io("sync the directory", () => syncDirectory(this.#directory));
      this.#directorySynced = true;
    }
    // The marker names this flush durably before its checkpoint can reach a state commit, so recovery always knows
    // the last flush: the only one that may lack a commit.
    const next: CommitMarker = { ...marker, flushed: { sequence: marker.flushed.sequence + 1, position: this.#next } };
    await this.#io("record the flush in the folder's marker", () => writeMarker(this.#directory, next, true));
    this.#marker = next;
    this.#flushed = this.#next;
    this.#savepoint = undefined;
    return checkpointOf(this.#next, next.sink, next.flushed.sequence);
  }

  /**
   * Records that the state commit of `checkpoint` succeeded, so that a state restored from before it is refused
   * instead of cutting what this commit delivered. The directory is not synced: losing this step to a power cut only
   * leaves recovery as unsure about the last flush as it is before the acknowledgement, never wrong.
   */
  async committed(checkpoint: SinkCheckpoint | null): Promise<void> {
    const marker = this.#marker;
    const stamp = fileCheckpoint(checkpoint)?.stamp;
    if (marker === undefined || stamp === undefined || stamp === null || stamp.sink !== marker.sink) return;
    if (stamp.sequence <= marker.committed || stamp.sequence > marker.flushed.sequence) return;
    const next: CommitMarker = { ...marker, committed: stamp.sequence };
    await this.#io("record the commit in the folder's marker", () => writeMarker(this.#directory, next, false));
    this.#marker = next;
  }

  savepoint(): Promise<void> {
    this.#opened();
    this.#savepoint = { position: this.#next, lines: this.#pending.length, bytes: this.#pendingBytes };
    return Promise.resolve();
  }

  /**
   * Back to the last savepoint, exactly: lines still in memory are dropped, and if a spill wrote past the savepoint
   * since, the file is cut back to it at once, so that a reader of the active segment never sees a record that was
   * taken back (the blob may never be delivered: it can be quarantined).
   */
  async rollback(): Promise<void> {
    const flushed = this.#opened();
    const mark = this.#savepoint ?? { position: flushed, lines: 0, bytes: 0 };
    if (samePosition(this.#next, mark.position)) {
      this.#pending.length = mark.lines;
      this.#pendingBytes = mark.bytes;
      return;
    }
    // A spill wrote the savepoint's pending lines first, so the savepoint ends that many bytes after its position.
    const target = { segment: mark.position.segment, offset: mark.position.offset + mark.bytes };
    const written = this.#next;
    this.#next = target;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#tailMayHoldDiscarded = true;
    await this.#io("cut back what a failed blob wrote", () => cutBack(this.#directory, target, written));
    this.#tailMayHoldDiscarded = false;
  }

  /** Forgets unflushed records. The bytes already spilled are cut off by the next write (or by `open` after a crash). */
  discard(): Promise<void> {
    const flushed = this.#opened();
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#savepoint = undefined;
    if (!samePosition(this.#next, flushed)) this.#tailMayHoldDiscarded = true;
    this.#next = flushed;
    return Promise.resolve();
  }

  /** No file stays open between calls, so there is nothing to release; unflushed records are dropped. */
  close(): Promise<void> {
    this.#flushed = undefined;
    this.#marker = undefined;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#savepoint = undefined;
    return Promise.resolve();
  }

  async #spill(sync: boolean): Promise<void> {
    const data = this.#pending;
    const bytes = this.#pendingBytes;
    const { segment, offset } = this.#next;
    const path = join(this.#directory, segmentName(segment));
    try {
      await this.#io(sync ? `write and sync ${path}` : `write ${path}`, () =>
        appendToSegment(path, offset, data, { sync, tailMayHoldDiscarded: this.#tailMayHoldDiscarded }),
      );
    } catch (error) {
      // An I/O failure may have left part of the data in the file: the retry cuts it off. A size mismatch must not
      // be "repaired" that way: the bytes are someone else's.
      if (isAuditfeedError(error) && error.retryable) this.#tailMayHoldDiscarded = true;
      throw error;
    }
    this.#tailMayHoldDiscarded = false;
    this.#next = { segment, offset: offset + bytes };
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  /** File system failures (missing or unwritable directory, full disk) are retryable; auditfeed's own errors pass as they are. */
  async #io<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      if (isAuditfeedError(error)) throw error;
      // An error without a system code (a short write) says itself what went wrong.
      const cause = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw sinkError(
        "file",
        `could not ${what} (${cause}) in ${this.#directory}. Check that the directory exists, is a directory, is writable and has space; delivery resumes when it does.`,
        {
          retryable: true,
          cause: error,
        },
      );
    }
  }

  #opened(): FilePosition {
    if (this.#flushed === undefined) throw new Error("file sink: call open() before writing.");
    return this.#flushed;
  }
}
