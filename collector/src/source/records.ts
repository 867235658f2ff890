import { createHash } from "node:crypto";

import type { RecordRef } from "../state/store.ts";
import type { ArrayElement } from "./json-array-splitter.ts";

/** One audit record as fetched: its dedupe key, its `CreationTime` (where the state looks for its duplicates) and its JSON on one line. */
export interface FetchedRecord extends RecordRef {
  /**
   * The record's `Id`. A record without a usable `Id` (never seen, but the schema cannot promise it) gets
   * `"sha256:" + hex(SHA-256 of its line)`, so identical copies still dedupe and distinct records never collide.
   */
  readonly id: string;
  /** The record's JSON on one line, UTF-8, without a trailing newline: the bytes the API sent (see ArrayElement). */
  readonly bytes: Buffer;
}

/** Turns one element of a content blob (already validated by the splitter) into a FetchedRecord. */
export function toFetchedRecord(element: ArrayElement): FetchedRecord {
  const { bytes, id, creationTime } = element;
  return {
    id: id !== undefined && id !== "" ? id : `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    bytes,
    creationTime: creationTime === undefined ? null : utcInstant(creationTime),
  };
}

const ZONED = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * `CreationTime` as an ISO 8601 UTC instant, or null when unreadable: "2026-11-30T21:03:19" (the API's form, UTC
 * without a zone) → "2026-11-30T21:03:19.000Z". Sinks use it as the event time; its hour prefix is unchanged.
 * The API's form, when it names a real instant, only gains ".000Z"; anything else goes through `Date`.
 */
function utcInstant(value: string): string | null {
  if (isApiFormInstant(value)) return `${value}.000Z`;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(value)) return null;
  const ms = Date.parse(ZONED.test(value) ? value : `${value}Z`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * True for "YYYY-MM-DDTHH:MM:SS" naming an instant as written (Date would roll 2026-02-30 over to March, or 24:00 to
 * the next day, which the slow path keeps doing). Read with charCodeAt: it runs once per record.
 */
function isApiFormInstant(value: string): boolean {
  if (value.length !== 19) return false;
  for (let at = 0; at < 19; at++) {
    const code = value.charCodeAt(at);
    const separator = at === 4 || at === 7 ? 0x2d : at === 10 ? 0x54 : at === 13 || at === 16 ? 0x3a : -1;
    if (separator === -1 ? code < 0x30 || code > 0x39 : code !== separator) return false;
  }
  const two = (at: number): number => (value.charCodeAt(at) - 0x30) * 10 + value.charCodeAt(at + 1) - 0x30;
  const year = two(0) * 100 + two(2);
  const month = two(5);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  const day = two(8);
  return month >= 1 && month <= 12 && day >= 1 && day <= days && two(11) <= 23 && two(14) <= 59 && two(17) <= 59;
}
