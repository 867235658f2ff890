import type { ContentDescriptor, ContentType } from "../../../collector/src/source/content.ts";
import type { ListPosition } from "../content/timeline.ts";
import { hashInts } from "../random.ts";
import type { TenantState } from "../tenant.ts";
import { errors } from "./af-errors.ts";
import type { ApiError } from "./af-errors.ts";
import { formatApiTime, resolveWindow } from "./time-window.ts";

export interface ListContentRequest {
  tenant: TenantState;
  contentType: ContentType;
  query: Map<string, string>;
  nowMs: number;
  pageSize: number;
  origin: string;
}

export interface ListContentPage {
  descriptors: ContentDescriptor[];
  headers: Record<string, string>;
}

/**
 * `GET subscriptions/content`: blobs whose contentCreated is in the half-open window, in the order they became
 * available, one page at a time. The nextPage token is a keyset position (availability, blob index) with a check
 * value, so pages stay consistent while new blobs keep arriving.
 */
export function listContent(request: ListContentRequest): ListContentPage | ApiError {
  const { tenant, contentType, query, nowMs, pageSize, origin } = request;
  if (tenant.subscriptions.floorMs(contentType) === undefined) return errors.noSubscription();
  const window = resolveWindow(query.get("starttime"), query.get("endtime"), nowMs);
  if ("code" in window) return window;
  const nextPage = query.get("nextpage");
  const after = nextPage === undefined ? undefined : parseNextPage(nextPage, tenant.key);
  if (after === null) return errors.invalidNextPage();

  const root = `${origin}/api/v1.0/${tenant.options.tenantId}/activity/feed`;
  const poison = tenant.options.faults.poisonContentUri;
  const descriptors: ContentDescriptor[] = [];
  let last: ListPosition | undefined;
  let more = false;
  for (const blob of tenant.listable(contentType, window.fromMs, window.toMs, nowMs, after)) {
    if (descriptors.length === pageSize) {
      more = true;
      break;
    }
    const contentId = tenant.contentId(contentType, blob);
    const base = blob.poisoned && poison !== undefined ? `${poison}/api/v1.0/${tenant.options.tenantId}/activity/feed` : root;
    descriptors.push({
      contentType,
      contentId,
      contentUri: `${base}/audit/${contentId}`,
      contentCreated: new Date(blob.createdMs).toISOString(),
      contentExpiration: new Date(blob.expirationMs).toISOString(),
    });
    last = blob;
  }
  if (!more || last === undefined) return { descriptors, headers: {} };

  const next = new URLSearchParams({ contentType, startTime: formatApiTime(window.fromMs), endTime: formatApiTime(window.toMs) });
  const publisher = query.get("publisheridentifier");
  if (publisher !== undefined) next.set("PublisherIdentifier", publisher);
  next.set("nextPage", formatNextPage(last, tenant.key));
  return { descriptors, headers: { NextPageUri: `${root}/subscriptions/content?${next.toString()}` } };
}

function check(position: ListPosition, key: number): string {
  return (hashInts(key, position.availableMs, position.index) % 1_679_616).toString(36).padStart(4, "0");
}

function formatNextPage(position: ListPosition, key: number): string {
  return `${position.availableMs.toString(36)}.${position.index.toString(36)}.${check(position, key)}`;
}

/** The position a nextPage token names, or null when the token was not issued by this tenant's listing. */
function parseNextPage(token: string, key: number): ListPosition | null {
  const match = /^([0-9a-z]+)\.([0-9a-z]+)\.([0-9a-z]{4})$/.exec(token);
  if (match === null) return null;
  const position = { availableMs: parseInt(match[1] ?? "", 36), index: parseInt(match[2] ?? "", 36) };
  return check(position, key) === match[3] ? position : null;
}
