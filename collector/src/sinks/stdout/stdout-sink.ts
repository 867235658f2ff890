import type { Writable } from "node:stream";
import { drainedOrClosed } from "../drained.ts";
import { recordBytes } from "../record-bytes.ts";
import type { DeliveryGuarantee, OutboundRecord, Sink, SinkCheckpoint } from "../sink.ts";
import { sinkError } from "../sink-error.ts";

/** Records per `stream.write`: one write per chunk keeps syscalls few without holding a whole batch as one string. */
const CHUNK_RECORDS = 1_000;
const NEWLINE = Buffer.from("\n");

/**
 * NDJSON on standard output (or any Writable), at least once: what was written cannot be taken back, so a crash
 * between a flush and the state commit repeats those records on the next run. See README.md.
 */
export class StdoutSink implements Sink {
  readonly name = "stdout";
  readonly delivery: DeliveryGuarantee = "at-least-once";
  readonly #stream: Writable;
  /** Settles when the stream has handed the last written chunk to the OS (or failed to). */
  #lastWrite: Promise<void> = Promise.resolve();
  #failure: Error | undefined;
  /** A stream 'error' (EPIPE when the reader goes away) would crash the process without a listener. */
  readonly #onError = (error: Error): void => {
    this.#failure ??= error;
  };

  constructor(options: { stream?: Writable } = {}) {
    this.#stream = options.stream ?? process.stdout;
  }

  open(_checkpoint: SinkCheckpoint | null): Promise<void> {
    this.#failure = undefined;
    this.#lastWrite = Promise.resolve();
    this.#stream.on("error", this.#onError);
    return Promise.resolve();
  }

  async write(records: readonly OutboundRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += CHUNK_RECORDS) {
      this.#throwIfFailed();
      const lines: Buffer[] = [];
      for (const record of records.slice(start, start + CHUNK_RECORDS)) lines.push(recordBytes(record), NEWLINE);
      const chunk = Buffer.concat(lines);
      this.#lastWrite = new Promise<void>((resolve) => {
        this.#stream.write(chunk, (error) => {
          if (error) this.#failure ??= error;
          resolve();
        });
      });
      // Backpressure: wait until the stream's buffer has room before producing more.
      if (this.#stream.writableNeedDrain) await drainedOrClosed(this.#stream).catch(this.#onError);
    }
  }

  async flush(): Promise<null> {
    await this.#lastWrite;
    this.#throwIfFailed();
    return null;
  }

  /** Nothing is rolled back, so there is nothing to record. */
  committed(_checkpoint: SinkCheckpoint | null): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing to remember: every line is handed to the stream as it is written. */
  savepoint(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Lines cannot be taken back: the records of a blob that failed half-way were written, and are written again when
   * the blob is retried (at least once). The complete blobs before it are not repeated: they are committed.
   */
  rollback(): Promise<void> {
    return Promise.resolve();
  }

  /** Nothing written can be taken back; the collector's retry re-sends the group (at least once). */
  discard(): Promise<void> {
    return Promise.resolve();
  }

  /** Leaves the stream open: it is the process's standard output (or the caller's). */
  async close(): Promise<void> {
    await this.#lastWrite;
    this.#stream.off("error", this.#onError);
  }

  #throwIfFailed(): void {
    if (this.#failure === undefined) return;
    throw sinkError(
      "stdout",
      `writing to standard output failed (${(this.#failure as NodeJS.ErrnoException).code ?? this.#failure.message}): the reader of the pipe has gone away. Restart auditfeed with a reader attached.`,
      {
        retryable: false,
        cause: this.#failure,
      },
    );
  }
}
