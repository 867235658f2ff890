/** The five content types of the Office 365 Management Activity API, in the order the collector works them. */
export const CONTENT_TYPES = ["Audit.AzureActiveDirectory", "Audit.Exchange", "Audit.SharePoint", "Audit.General", "DLP.All"] as const;

export type ContentType = (typeof CONTENT_TYPES)[number];

export function isContentType(value: string): value is ContentType {
  return (CONTENT_TYPES as readonly string[]).includes(value);
}

/** One entry of `GET subscriptions/content`: a blob of audit records that can be fetched until `contentExpiration`. */
export interface ContentDescriptor {
  readonly contentType: ContentType;
  /** Opaque and unique; the key of the delivered-blob ledger. */
  readonly contentId: string;
  readonly contentUri: string;
  /** ISO 8601 with milliseconds and `Z`: when the blob became listable (not when its events happened). */
  readonly contentCreated: string;
  /** ISO 8601: after this instant the blob cannot be fetched. Read it, never compute it. */
  readonly contentExpiration: string;
}

/**
 * An audit record as the API returns it. Only `Id` is relied upon (the dedupe key); every other field is passed
 * through untouched, because new RecordTypes and fields keep appearing and numbers sometimes arrive as strings.
 */
export interface AuditRecord {
  readonly Id: string;
  readonly CreationTime?: string;
  readonly RecordType?: number | string;
  readonly [field: string]: unknown;
}
