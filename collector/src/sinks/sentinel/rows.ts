import type { OutboundRecord } from "../sink.ts";

/**
 * One row of the stream: the columns the data collection rule declares (sinks/sentinel/README.md). `Record` is the
 * audit record itself, a dynamic column; `TimeGenerated` is its CreationTime, or the time it was sent when it has none.
 */
export interface SentinelRow {
  readonly TimeGenerated: string;
  readonly ContentType: string;
  readonly Id: string;
  readonly Record: unknown;
  readonly [column: string]: unknown;
}

/**
 * Rows with their exact serialized size. The client serializes rows with JSON.stringify, which may differ from the
 * record's text as the API returned it (escapes, number forms), so the size of a request is measured on the row it
 * will really send; the row is kept from `size` to `send` so that each record is parsed once.
 */
export class RowCache {
  readonly #rows = new WeakMap<OutboundRecord, { row: SentinelRow; bytes: number }>();
  readonly #now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  /** Bytes the row adds to a request body: its JSON and the comma that separates it from the next. */
  size(record: OutboundRecord): number {
    return this.#entry(record).bytes + 1;
  }

  row(record: OutboundRecord): SentinelRow {
    return this.#entry(record).row;
  }

  #entry(record: OutboundRecord): { row: SentinelRow; bytes: number } {
    let entry = this.#rows.get(record);
    if (entry === undefined) {
      const row: SentinelRow = {
        TimeGenerated: record.creationTime ?? this.#now().toISOString(),
        ContentType: record.contentType,
        Id: record.id,
        Record: JSON.parse(record.json) as unknown,
      };
      entry = { row, bytes: Buffer.byteLength(JSON.stringify(row)) };
      this.#rows.set(record, entry);
    }
    return entry;
  }
}
