import type { ContentType } from "../../../collector/src/source/content.ts";
import { CONTENT_TYPES } from "../../../collector/src/source/content.ts";

/**
 * Content ids in the real-world shape `{start}${end}$audit_exchange$Audit_Exchange$na0017`: two 23-digit timestamps
 * (yyyyMMddHHmmssfff plus six zero digits), the content-type slug, the type with an underscore, and a shard.
 * The end timestamp is the blob's contentCreated, which identifies the blob within its content type.
 */
const AGGREGATION_WINDOW_MS = 5 * 60_000;

function timestamp23(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19) + iso.slice(20, 23) + "000000";
}

function parseTimestamp23(text: string): number | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{3})000000$/.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, ms] = match;
  const value = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
  return Number.isNaN(value) ? undefined : value;
}

function slug(contentType: ContentType): string {
  return contentType.toLowerCase().replace(".", "_");
}

export function shardOf(tenantKey: number): string {
  return `na${String((tenantKey % 48) + 1).padStart(4, "0")}`;
}

export function formatContentId(contentType: ContentType, createdMs: number, shard: string): string {
  return `${timestamp23(createdMs - AGGREGATION_WINDOW_MS)}$${timestamp23(createdMs)}$${slug(contentType)}$${contentType.replace(".", "_")}$${shard}`;
}

/** The content type and contentCreated a content id names, or undefined when it is not a content id at all. */
export function parseContentId(contentId: string): { contentType: ContentType; createdMs: number; shard: string } | undefined {
  const parts = contentId.split("$");
  if (parts.length !== 5) return undefined;
  const [start, end, typeSlug, typeName, shard] = parts as [string, string, string, string, string];
  const createdMs = parseTimestamp23(end);
  if (parseTimestamp23(start) === undefined || createdMs === undefined) return undefined;
  const contentType = CONTENT_TYPES.find((type) => slug(type) === typeSlug && type.replace(".", "_") === typeName);
  if (contentType === undefined || !/^[a-z]{2}\d{4}$/.test(shard)) return undefined;
  return { contentType, createdMs, shard };
}
