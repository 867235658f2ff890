import { createHash } from "node:crypto";

import type { RecordRef } from "../state/store.ts";

/** One audit record as fetched: its dedupe key, its `CreationTime` (where the state looks for its duplicates) and its JSON on one line. */
export interface FetchedRecord extends RecordRef {
  /**
   * The record's `Id`. A record without a usable `Id` (never seen, but the schema cannot promise it) gets
   * `"sha256:" + hex(SHA-256 of json)`, so identical copies still dedupe and distinct records never collide.
   */
  readonly id: string;
  /** The record on one line, without a trailing newline. */
  readonly json: string;
}

/**
 * Turns the raw text of one array element into a FetchedRecord. The raw text is kept byte for byte when it already
 * fits on one line (the SIEM gets exactly what Microsoft sent); otherwise it is re-serialised compactly.
 * Throws SyntaxError when the element is not a JSON object.
 */
export function toFetchedRecord(raw: string): FetchedRecord {
  const parsed: unknown = JSON.parse(raw);
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new SyntaxError(`An audit record must be a JSON object, but the blob holds ${Array.isArray(parsed) ? "an array" : JSON.stringify(parsed)}.`);
  }
  const trimmed = raw.trim();
  const json = /[\r\n]/.test(trimmed) ? JSON.stringify(parsed) : trimmed;
  const { Id: id, CreationTime: creationTime } = parsed as { Id?: unknown; CreationTime?: unknown };
  return {
    id: typeof id === "string" && id !== "" ? id : `sha256:${createHash("sha256").update(json).digest("hex")}`,
    json,
    creationTime: utcInstant(creationTime),
  };
}

const ZONED = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * `CreationTime` as an ISO 8601 UTC instant, or null when absent or unreadable: "2026-11-30T21:03:19" (the API's form,
 * UTC without a zone) → "2026-11-30T21:03:19.000Z". Sinks use it as the event time; its hour prefix is unchanged.
 */
function utcInstant(value: unknown): string | null {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return null;
  const ms = Date.parse(ZONED.test(value) ? value : `${value}Z`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}
