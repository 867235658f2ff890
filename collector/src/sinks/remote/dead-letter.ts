import { constants } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Logger } from "../../log/logger.ts";
import { syncDirectory } from "../file/segments.ts";
import type { OutboundRecord } from "../sink.ts";
import { sinkError } from "../sink-error.ts";

/** A record the destination refused for good, and why. */
export interface RejectedRecord {
  readonly record: OutboundRecord;
  readonly reason: string;
}

/**
 * Where records go that a destination refuses for good, so that one bad record never stalls the pipeline and is never
 * dropped silently. `put` resolves once the records are durable there: only then may the collector commit them.
 */
export interface DeadLetter {
  /** Where an operator finds the records (a path or URL), for logs and docs. */
  readonly location: string;
  /** Records put since the process started. */
  readonly count: number;
  put(rejected: readonly RejectedRecord[]): Promise<void>;
}

/**
 * One NDJSON line per record, the same in every dead letter: the time, the sink, the reason, the record's Id, content
 * type and CreationTime, and the record itself as it would have been sent.
 */
export function deadLetterLines(rejected: readonly RejectedRecord[], sink: string, at: Date): string[] {
  return rejected.map(
    ({ record, reason }) =>
      `{"deadLetteredAt":${JSON.stringify(at.toISOString())},"sink":${JSON.stringify(sink)},"reason":${JSON.stringify(reason)},"id":${JSON.stringify(record.id)},"contentType":${JSON.stringify(record.contentType)},"creationTime":${JSON.stringify(record.creationTime)},"record":${record.json}}\n`,
  );
}

/** Logs records put in a dead letter: ids and reasons only, as a record's content is audit data and stays out of logs. */
export function logDeadLettered(logger: Logger, rejected: readonly RejectedRecord[], location: string, sinceStart: number): void {
  logger.warn("The destination refused records for good; they are in the dead letter.", {
    records: rejected.length,
    ids: rejected.slice(0, 10).map(({ record }) => record.id),
    reason: rejected[0]?.reason,
    deadLetter: location,
    deadLetteredSinceStart: sinceStart,
  });
}

/** NDJSON lines (`deadLetterLines`) in `<directory>/<sink>-dead-letter.ndjson`, appended and fdatasynced. */
export class FileDeadLetter implements DeadLetter {
  readonly location: string;
  readonly #directory: string;
  readonly #sink: string;
  readonly #logger: Logger;
  readonly #now: () => Date;
  #count = 0;

  constructor(options: { directory: string; sink: string; logger: Logger; now?: () => Date }) {
    this.#directory = options.directory;
    this.#sink = options.sink;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
    this.location = join(options.directory, `${options.sink}-dead-letter.ndjson`);
  }

  get count(): number {
    return this.#count;
  }

  async put(rejected: readonly RejectedRecord[]): Promise<void> {
    if (rejected.length === 0) return;
    const lines = deadLetterLines(rejected, this.#sink, this.#now());
    try {
      const created = await mkdir(this.#directory, { recursive: true, mode: 0o750 });
      if (created !== undefined) await syncDirectory(dirname(created));
      const handle = await open(this.location, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o640);
      try {
        await handle.write(lines.join(""));
        await handle.datasync();
      } finally {
        await handle.close();
      }
      // The file may be new: its directory entry must be as durable as its data.
      await syncDirectory(this.#directory);
    } catch (error) {
      throw sinkError(
        this.#sink,
        `${rejected.length} record(s) the destination refused could not be written to the dead letter ${this.location} (${(error as NodeJS.ErrnoException).code ?? String(error)}): they stay undelivered and are retried. Make the dead-letter folder (deadLetter) writable.`,
        { retryable: true, cause: error },
      );
    }
    this.#count += rejected.length;
    logDeadLettered(this.#logger, rejected, this.location, this.#count);
  }
}
