import type { Logger } from "../log/logger.ts";
import type { ContentType } from "../source/content.ts";
import type { ManagementClient } from "../source/management-client.ts";
import type { ContentTypeCursor } from "../state/store.ts";

/** The API asks callers to wait 15 minutes after a start request before sending another. */
export const START_SPACING_MS = 15 * 60_000;

export type SubscriptionState =
  { readonly ready: true; readonly startedAt?: Date } | { readonly ready: false; readonly reason: string; readonly error?: unknown };

/**
 * Makes sure every wanted content type has an enabled subscription, starting it at most once per 15 minutes across
 * runs (the last start time lives in the cursor, because `auditfeed once` runs every few minutes in a fresh process).
 * A content type that cannot be started fails alone; the others go on.
 */
export async function ensureSubscriptions(
  client: Pick<ManagementClient, "listSubscriptions" | "startSubscription">,
  contentTypes: readonly ContentType[],
  cursors: Readonly<Partial<Record<ContentType, ContentTypeCursor>>>,
  serverNow: () => Date,
  logger: Logger,
  signal?: AbortSignal,
): Promise<Map<ContentType, SubscriptionState>> {
  const listed = await client.listSubscriptions(signal);
  // Read after the listing: before the first response of a process, the server's clock is not known yet.
  const now = serverNow();
  const enabled = new Set(listed.filter((entry) => entry.status.toLowerCase() === "enabled").map((entry) => entry.contentType.toLowerCase()));
  const states = new Map<ContentType, SubscriptionState>();
  for (const contentType of contentTypes) {
    if (enabled.has(contentType.toLowerCase())) {
      states.set(contentType, { ready: true });
      continue;
    }
    const lastStart = cursors[contentType]?.subscriptionStartedAt;
    if (lastStart && now.getTime() - new Date(lastStart).getTime() < START_SPACING_MS) {
      states.set(contentType, {
        ready: false,
        reason: `a start was requested at ${lastStart} and the API asks for 15 minutes between starts; it will be checked again next cycle`,
      });
      continue;
    }
    try {
      const outcome = await client.startSubscription(contentType, signal);
      logger.info("Started the content type's subscription; the first content can take up to 12 hours to appear.", { contentType, outcome });
      states.set(contentType, { ready: true, startedAt: now });
    } catch (error) {
      states.set(contentType, { ready: false, reason: "the subscription could not be started", error });
    }
  }
  return states;
}
