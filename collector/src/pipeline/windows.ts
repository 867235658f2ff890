import type { ContentDescriptor } from "../source/content.ts";
import type { ContentTypeCursor } from "../state/store.ts";

/** A half-open interval on `contentCreated`: start <= contentCreated < end. */
export interface Window {
  readonly start: Date;
  readonly end: Date;
}

/** The API lists at most 24 hours per request and nothing that became available more than 7 days ago. */
export const MAX_WINDOW_MS = 24 * 3_600_000;
export const LISTING_RETENTION_MS = 7 * 24 * 3_600_000;
/** Kept clear of the 7-day edge: the service measures it with its own clock, and a request takes time to arrive. */
export const RETENTION_MARGIN_MS = 15 * 60_000;

/**
 * Until when the ledger must remember a blob: the last instant the API may list it again. Listing reaches back 7 days
 * on contentCreated, also for a blob that has already expired (such a blob must be counted as lost once, not every
 * cycle); a contentExpiration later than that is kept too, in case the service lists a blob as long as it can be fetched.
 */
export function listableUntil(descriptor: Pick<ContentDescriptor, "contentCreated" | "contentExpiration">): string {
  const candidates = [Date.parse(descriptor.contentCreated) + LISTING_RETENTION_MS, Date.parse(descriptor.contentExpiration)].filter(Number.isFinite);
  // Neither is a date: handing the text on lets the state store refuse it with the blob's id.
  return candidates.length === 0 ? descriptor.contentExpiration : new Date(Math.max(...candidates)).toISOString();
}

export interface PlanInput {
  readonly cursor: ContentTypeCursor | undefined;
  /** The server's idea of now (local clock corrected by the measured skew). */
  readonly now: Date;
  readonly lookbackMs: number;
  readonly overlapMs: number;
  /** `auditfeed backfill --since`: list from here even if the cursor is later. */
  readonly since?: Date;
}

export interface Plan {
  readonly origin: Date;
  readonly windows: readonly Window[];
  /** Set when the cursor fell behind the 7-day listing limit: content created in this interval can no longer be listed. */
  readonly gap?: Window;
}

/** The API accepts whole seconds; a fraction would be rejected or silently truncated. */
function floorToSecond(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 1000) * 1000);
}

/**
 * What to list this cycle. Every cycle re-lists `overlapMs` before the point listed through, because blobs appear in
 * the listing late (after blobs with a later contentCreated were already listed); the delivered-blob ledger makes the
 * repeat cheap and duplicate-free. Windows are cut at 24 h and kept inside the 7-day limit.
 */
export function planWindows(input: PlanInput): Plan {
  const end = floorToSecond(input.now);
  const floor = floorToSecond(new Date(end.getTime() - LISTING_RETENTION_MS + RETENTION_MARGIN_MS));
  const storedOrigin = input.cursor ? new Date(input.cursor.origin) : new Date(end.getTime() - input.lookbackMs);
  const origin = input.since && input.since < storedOrigin ? input.since : storedOrigin;
  const listedThrough = input.cursor?.listedThrough ? new Date(input.cursor.listedThrough) : undefined;
  const resumeFrom = listedThrough && !input.since ? new Date(listedThrough.getTime() - input.overlapMs) : origin;
  const wanted = resumeFrom > origin ? resumeFrom : origin;
  const start = floorToSecond(wanted > floor ? wanted : floor);
  // A first run whose look-back reaches past the limit just starts at the limit; a gap is only what a cursor promised.
  const gapStart = listedThrough ?? (input.cursor ? origin : undefined);
  const gap = gapStart && gapStart < floor ? { start: gapStart, end: floor } : undefined;
  const windows: Window[] = [];
  for (let from = start.getTime(); from < end.getTime(); from += MAX_WINDOW_MS) {
    windows.push({ start: new Date(from), end: new Date(Math.min(from + MAX_WINDOW_MS, end.getTime())) });
  }
  return gap ? { origin, windows, gap } : { origin, windows };
}
