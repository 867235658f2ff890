import { describeError } from "../errors.ts";
import type { ContentDescriptor, ContentType } from "../source/content.ts";
import type { FailedBlob } from "../state/store.ts";
import { listableUntil } from "./windows.ts";

/**
 * After this many failures in a row with the same code, counted across runs, a blob is quarantined: not fetched again.
 * Three, because one cycle can meet a fault of the service and a second one its repeat, while a blob that failed the
 * same way three times, minutes apart, will fail the same way for the 7 days it stays listed (and make every run fail).
 */
export const QUARANTINE_AFTER_FAILURES = 3;

/**
 * Failures that belong to the blob itself and repeat: a contentUri on another host, a body that is not a JSON array
 * of records, an API refusal of that one blob. Service-wide faults (5xx, throttling, network, credentials) never
 * quarantine, however long they last: they would quarantine every blob of an outage.
 */
const QUARANTINABLE: ReadonlySet<string> = new Set(["AF_ERR_UNTRUSTED_URL", "AF_ERR_BLOB_MALFORMED", "AF_ERR_API"]);

/** What the state remembers after `descriptor` failed with `error` at `now`, given what it remembered before. */
export function recordFailure(previous: FailedBlob | undefined, descriptor: ContentDescriptor, error: unknown, now: Date): FailedBlob {
  const { code, message } = describeError(error);
  const repeat = previous !== undefined && previous.code === code;
  const failures = repeat ? previous.failures + 1 : 1;
  const at = now.toISOString();
  return {
    descriptor,
    code,
    message,
    failures,
    firstFailedAt: repeat ? previous.firstFailedAt : at,
    lastFailedAt: at,
    quarantinedAt: QUARANTINABLE.has(code) && failures >= QUARANTINE_AFTER_FAILURES ? at : null,
    keepUntil: listableUntil(descriptor),
  };
}

/** How many quarantined blobs each content type has, with the first few for the log (the rest are only counted). */
export function quarantineSummary(quarantined: readonly FailedBlob[], listed = 10): Partial<Record<ContentType, { count: number; blobs: object[] }>> {
  const summary: Partial<Record<ContentType, { count: number; blobs: object[] }>> = {};
  for (const entry of quarantined) {
    const type = (summary[entry.descriptor.contentType] ??= { count: 0, blobs: [] });
    type.count++;
    if (type.blobs.length < listed) {
      type.blobs.push({ contentId: entry.descriptor.contentId, code: entry.code, failures: entry.failures, quarantinedAt: entry.quarantinedAt });
    }
  }
  return summary;
}
