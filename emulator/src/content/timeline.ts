import type { ContentType } from "../../../collector/src/source/content.ts";
import type { MalformedKind } from "../options.ts";
import { fraction, uniqueGuid } from "../random.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Descriptor expiry of a healthy blob: REF samples show contentCreated + 7 days. */
const RETENTION_MS = 7 * DAY_MS;
/** One blob in ten gets the poisoned contentUri when `poisonContentUri` is set. */
const POISON_RATE = 0.1;
/** Lag between an event and the blob that carries it when records are in order. */
const IN_ORDER_LAG_MS = 5 * 60_000;

/** Everything one content type's timeline depends on; all of it is fixed at emulator start. */
export interface TimelineSettings {
  contentType: ContentType;
  /** Hash of seed, tenant and content type: the root of every value this timeline invents. */
  key: number;
  /** contentCreated of blob 0 (virtual ms): the start of history. */
  originMs: number;
  eventsPerHour: number;
  recordsPerBlob: number;
  lateBlobRate: number;
  lateBlobDelayMs: number;
  duplicateRecordRate: number;
  outOfOrder: boolean;
  expiredBlobRate: number;
  poisoned: boolean;
  malformedBlobRate: number;
  malformedBlobKinds: readonly MalformedKind[];
}

/** A blob as the timeline defines it, before any subscription or clock rule is applied. */
export interface Blob {
  index: number;
  createdMs: number;
  /** When the blob becomes listable: contentCreated, or later for a late blob. */
  availableMs: number;
  expirationMs: number;
  poisoned: boolean;
  /** How its body is broken, every time it is fetched; undefined for a healthy blob. */
  malformed: MalformedKind | undefined;
}

/** Position of a record: the blob that generated it and its index there. Duplicates keep their origin. */
export interface RecordRef {
  blob: number;
  record: number;
}

/** Keyset position of a listing page: blobs are listed in (availableMs, index) order. */
export interface ListPosition {
  availableMs: number;
  index: number;
}

/**
 * The blobs of one tenant and content type, computed rather than stored: blob i's timing, size, faults and records
 * are pure functions of the settings and i, so a ten-million-record tenant costs no memory.
 * Blob i is created in [origin + i·interval, origin + (i + ½)·interval), so creation times strictly increase with i.
 */
export class Timeline {
  readonly settings: TimelineSettings;
  readonly intervalMs: number;

  constructor(settings: TimelineSettings) {
    this.settings = settings;
    this.intervalMs = settings.eventsPerHour > 0 ? Math.max(2, (HOUR_MS * settings.recordsPerBlob) / settings.eventsPerHour) : Infinity;
  }

  get generates(): boolean {
    return Number.isFinite(this.intervalMs);
  }

  createdMs(index: number): number {
    const { originMs, key } = this.settings;
    return Math.floor(originMs + index * this.intervalMs + fraction(key, index, 1) * (this.intervalMs / 2));
  }

  isLate(index: number): boolean {
    return this.settings.lateBlobRate > 0 && fraction(this.settings.key, index, 3) < this.settings.lateBlobRate;
  }

  blob(index: number): Blob {
    const { key, lateBlobDelayMs, expiredBlobRate, poisoned, malformedBlobRate, malformedBlobKinds } = this.settings;
    const createdMs = this.createdMs(index);
    const availableMs = this.isLate(index) ? createdMs + lateBlobDelayMs : createdMs;
    const expiresEarly = expiredBlobRate > 0 && fraction(key, index, 4) < expiredBlobRate;
    return {
      index,
      createdMs,
      availableMs,
      expirationMs: expiresEarly ? availableMs : createdMs + RETENTION_MS,
      poisoned: poisoned && fraction(key, index, 5) < POISON_RATE,
      malformed:
        malformedBlobRate > 0 && fraction(key, index, 8) < malformedBlobRate
          ? malformedBlobKinds[Math.floor(fraction(key, index, 10) * malformedBlobKinds.length)]
          : undefined,
    };
  }

  /** Smallest index ≥ 0 whose contentCreated is at or after `ms`. */
  firstIndexAtOrAfter(ms: number): number {
    if (!this.generates) return Number.MAX_SAFE_INTEGER;
    let index = Math.max(0, Math.floor((ms - this.settings.originMs) / this.intervalMs) - 1);
    while (this.createdMs(index) < ms) index += 1;
    return index;
  }

  /** The index of the blob created exactly at `ms`, if any. */
  indexCreatedAt(ms: number): number | undefined {
    const index = this.firstIndexAtOrAfter(ms);
    return this.generates && this.createdMs(index) === ms ? index : undefined;
  }

  /** The blob's own record that a `missing-id` or `invalid-utf8` body breaks: the middle one. */
  brokenRecord(index: number): RecordRef {
    return { blob: index, record: Math.floor(this.recordCount(index) / 2) };
  }

  recordCount(index: number): number {
    const target = this.settings.recordsPerBlob;
    return Math.max(1, Math.round(target * (0.5 + fraction(this.settings.key, index, 2))));
  }

  /** Own records, then the duplicates of the previous blob's records that this blob carries again. */
  *records(index: number): Generator<RecordRef> {
    const own = this.recordCount(index);
    for (let record = 0; record < own; record += 1) yield { blob: index, record };
    if (this.settings.duplicateRecordRate === 0 || index === 0) return;
    const previous = index - 1;
    const count = this.recordCount(previous);
    for (let record = 0; record < count; record += 1) {
      if (fraction(this.settings.key, previous, record, 6) < this.settings.duplicateRecordRate) yield { blob: previous, record };
    }
  }

  recordId(ref: RecordRef): string {
    return uniqueGuid(this.settings.key, ref.blob, ref.record);
  }

  /** When the event happened (virtual ms), always before its blob was created. */
  eventMs(ref: RecordRef): number {
    const created = this.createdMs(ref.blob);
    if (this.settings.outOfOrder) {
      // 2–90 minutes of pipeline latency, the spread TS describes: events interleave within and across blobs.
      return created - 120_000 - Math.floor(fraction(this.settings.key, ref.blob, ref.record, 7) * 88 * 60_000);
    }
    const previous = ref.blob === 0 ? created - this.intervalMs : this.createdMs(ref.blob - 1);
    const count = this.recordCount(ref.blob);
    return Math.floor(previous + ((ref.record + 1) / (count + 1)) * (created - previous)) - IN_ORDER_LAG_MS;
  }

  /**
   * Blobs listable at `nowMs` with contentCreated in [fromMs, toMs), in listing order (availableMs, then index),
   * strictly after `after`. Two index-ordered streams (on-time and late blobs) are each sorted by availability,
   * so a merge yields the listing order while touching only the blobs it returns.
   */
  *listable(fromMs: number, toMs: number, nowMs: number, after?: ListPosition): Generator<Blob> {
    if (!this.generates || fromMs >= toMs) return;
    const delay = this.settings.lateBlobDelayMs;
    const onTime = this.stream(fromMs, toMs, after, false, nowMs);
    const late = this.settings.lateBlobRate > 0 ? this.stream(fromMs, toMs, after, true, nowMs - delay) : undefined;
    let a = onTime.next();
    let b = late?.next();
    while (!a.done || (b !== undefined && !b.done)) {
      if (b === undefined || b.done || (!a.done && comesBefore(a.value, b.value))) {
        if (a.done) return;
        yield a.value;
        a = onTime.next();
      } else {
        yield b.value;
        b = late?.next();
      }
    }
  }

  private *stream(fromMs: number, toMs: number, after: ListPosition | undefined, late: boolean, createdUpToMs: number): Generator<Blob> {
    const shift = late ? this.settings.lateBlobDelayMs : 0;
    const startMs = Math.max(fromMs, after === undefined ? fromMs : after.availableMs - shift);
    for (let index = this.firstIndexAtOrAfter(startMs); ; index += 1) {
      const createdMs = this.createdMs(index);
      if (createdMs >= toMs || createdMs > createdUpToMs) return;
      if (this.isLate(index) !== late) continue;
      const blob = this.blob(index);
      if (after !== undefined && !comesBefore(after, blob)) continue;
      yield blob;
    }
  }
}

function comesBefore(a: ListPosition, b: ListPosition): boolean {
  return a.availableMs < b.availableMs || (a.availableMs === b.availableMs && a.index < b.index);
}
