import type { OutboundRecord } from "../sink.ts";

// CreationTime as the API writes it (UTC, usually without a zone): the hour is its first 13 characters.
const CREATION_HOUR = /^(\d{4})-(\d{2})-(\d{2})T(\d{2})/;

/**
 * The archive blob of a record: `<content type>/<YYYY>/<MM>/<DD>/<HH>.ndjson.gz` by its CreationTime hour (UTC), so a
 * reader finds an hour of one workload in one blob; a record without a CreationTime goes to `<content type>/undated.ndjson.gz`.
 */
export function archiveBlob(record: OutboundRecord): string {
  const hour = record.creationTime === null ? null : CREATION_HOUR.exec(record.creationTime);
  if (hour === null) return `${record.contentType}/undated.ndjson.gz`;
  const [, year, month, day, hh] = hour;
  return `${record.contentType}/${year}/${month}/${day}/${hh}.ndjson.gz`;
}

/**
 * The block a flush stages in each blob it touches: derived from the flush's number alone, so that a restart that
 * redoes the flush stages the same id (replacing the uncommitted block of the run that died), and recovery knows
 * which block a checkpoint names. Every id has the same length, as a block blob requires.
 */
export function blockId(flush: number): string {
  return Buffer.from(`auditfeed-${flush.toString().padStart(14, "0")}`).toString("base64");
}
