import type { ContentType } from "../source/content.ts";
import type { OutboundRecord } from "./sink.ts";

/**
 * The OutboundRecord the pipeline makes from a fetched record: it carries the bytes the API sent, and decodes them to
 * the `json` string only if a sink asks for it (the HTTP presets and syslog embed it in a text body; the file and
 * stdout sinks write the bytes as they are, through `recordBytes`, and never make a string of a record).
 */
export class FetchedOutboundRecord implements OutboundRecord {
  readonly id: string;
  readonly contentType: ContentType;
  readonly creationTime: string | null;
  /** The record's JSON on one line, UTF-8, without a trailing newline. */
  readonly bytes: Buffer;
  #json: string | undefined;

  constructor(record: { readonly id: string; readonly creationTime: string | null; readonly bytes: Buffer }, contentType: ContentType) {
    this.id = record.id;
    this.contentType = contentType;
    this.creationTime = record.creationTime;
    this.bytes = record.bytes;
  }

  get json(): string {
    this.#json ??= this.bytes.toString("utf8");
    return this.#json;
  }
}

/** A record's JSON line as UTF-8 bytes (no newline): the fetched bytes themselves, or the encoded `json` of any other record. */
export function recordBytes(record: OutboundRecord): Buffer {
  return record instanceof FetchedOutboundRecord ? record.bytes : Buffer.from(record.json);
}
