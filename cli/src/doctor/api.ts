import type { CollectorConfig } from "../../../collector/src/config/config.ts";
import { isAuditfeedError } from "../../../collector/src/errors.ts";
import type { Logger } from "../../../collector/src/log/logger.ts";
import { START_SPACING_MS } from "../../../collector/src/pipeline/subscriptions.ts";
import type { ContentType } from "../../../collector/src/source/content.ts";
import { createCredential } from "../../../collector/src/source/credential.ts";
import { ManagementClient } from "../../../collector/src/source/management-client.ts";
import type { ContentTypeCursor } from "../../../collector/src/state/store.ts";
import { fail, pass, skip, warn, type CheckResult } from "./report.ts";

/** The API documents up to 12 hours between a subscription's start and its first content. */
export const FIRST_DATA_DELAY_MS = 12 * 3_600_000;
/** Entra accepts client assertions within about 5 minutes of its clock; more skew breaks certificate and federated sign-ins. */
export const MAX_SKEW_MS = 5 * 60_000;
/** A doctor run answers in seconds, not after the collector's 10-minute retry budget. */
const DOCTOR_RETRY = { initialDelayInMs: 250, maxRetryDelayInMs: 2_000, maxElapsedInMs: 8_000 };

export interface ApiChecks {
  readonly subscriptions: CheckResult[];
  readonly auditLogging: CheckResult;
  readonly firstData: CheckResult[];
  readonly clockSkew: CheckResult;
}

/**
 * Subscription state per content type, unified audit logging, first data, and clock skew, from the Management API.
 * A content type whose subscription is not enabled is started, as the collector's first cycle would (the API only
 * reveals that audit logging is off when a start is refused), unless a start was sent in the last 15 minutes.
 */
export async function checkApi(
  config: CollectorConfig,
  logger: Logger,
  cursors: Readonly<Partial<Record<ContentType, ContentTypeCursor>>>,
): Promise<ApiChecks> {
  const client = new ManagementClient({ config, credential: createCredential(config), logger, retry: DOCTOR_RETRY });
  try {
    let listed: Array<{ contentType: string; status: string }>;
    try {
      listed = await client.listSubscriptions();
    } catch (error) {
      const result = failure("subscriptions", "The Management API refused to list the subscriptions", error);
      const skipped = skip("", "Needs the subscription list.");
      return { subscriptions: [result], auditLogging: { ...skipped, check: "audit logging" }, firstData: [], clockSkew: { ...skipped, check: "clock skew" } };
    }
    const clockSkew = checkSkew(client.serverNow().getTime() - Date.now());
    const enabled = new Set(listed.filter((entry) => entry.status.toLowerCase() === "enabled").map((entry) => entry.contentType.toLowerCase()));
    const subscriptions: CheckResult[] = [];
    const ready: Array<{ contentType: ContentType; startedAt: Date | undefined }> = [];
    let auditOff: unknown;
    let started = false;
    for (const contentType of config.contentTypes) {
      const name = `subscription ${contentType}`;
      const known = cursors[contentType]?.subscriptionStartedAt;
      const knownStart = known ? new Date(known) : undefined;
      if (enabled.has(contentType.toLowerCase())) {
        subscriptions.push(pass(name, `Enabled${knownStart ? ` (started ${knownStart.toISOString()})` : ""}.`));
        ready.push({ contentType, startedAt: knownStart });
        continue;
      }
      const now = client.serverNow();
      if (knownStart && now.getTime() - knownStart.getTime() < START_SPACING_MS) {
        subscriptions.push(
          warn(
            name,
            `Not enabled yet; a start was requested at ${knownStart.toISOString()}.`,
            "Wait: the API asks for 15 minutes between starts, and the collector retries.",
          ),
        );
        continue;
      }
      try {
        await client.startSubscription(contentType);
        started = true;
        subscriptions.push(pass(name, `Was not enabled; doctor started it at ${now.toISOString()}, as the collector would.`));
        ready.push({ contentType, startedAt: now });
      } catch (error) {
        if (isAuditfeedError(error) && error.code === "AF_ERR_AUDIT_DISABLED") auditOff = error;
        subscriptions.push(failure(name, "Not enabled, and it could not be started", error));
      }
    }
    const auditLogging =
      auditOff !== undefined
        ? failure("audit logging", `Unified audit logging is off in tenant ${config.tenantId}`, auditOff)
        : pass(
            "audit logging",
            started
              ? "On: the Management API accepted a subscription start, which it refuses while audit logging is off."
              : "The subscriptions are enabled (the API only reports audit logging off when a subscription starts).",
          );
    const firstData: CheckResult[] = [];
    for (const { contentType, startedAt } of ready) firstData.push(await checkFirstData(client, contentType, startedAt));
    return { subscriptions, auditLogging, firstData, clockSkew };
  } finally {
    await client.close();
  }
}

/** Whether anything was listed in the last 24 h; if not, and the subscription is younger than 12 h, that is expected. */
async function checkFirstData(client: ManagementClient, contentType: ContentType, startedAt: Date | undefined): Promise<CheckResult> {
  const name = `first data ${contentType}`;
  const end = client.serverNow();
  const start = new Date(end.getTime() - 24 * 3_600_000);
  let newest: string | undefined;
  try {
    for await (const page of client.listContent(contentType, { start, end })) {
      for (const descriptor of page) if (newest === undefined || descriptor.contentCreated > newest) newest = descriptor.contentCreated;
      if (newest !== undefined) break;
    }
  } catch (error) {
    return failure(name, "Listing the last 24 hours of content failed", error);
  }
  if (newest !== undefined) return pass(name, `Content is listed (newest seen ${newest}).`);
  if (startedAt !== undefined && end.getTime() - startedAt.getTime() < FIRST_DATA_DELAY_MS) {
    const by = new Date(startedAt.getTime() + FIRST_DATA_DELAY_MS).toISOString();
    return warn(
      name,
      `No content yet. The subscription started at ${startedAt.toISOString()}, and first data can take up to 12 hours after a subscription starts (until ${by}).`,
      "Nothing to fix: wait; the collector delivers the content as soon as the API lists it.",
    );
  }
  return warn(
    name,
    "No content listed in the last 24 hours.",
    "Normal for a quiet content type; otherwise check that the workload audits (mailbox auditing for Exchange) and that unified audit logging is on.",
  );
}

function checkSkew(skewMs: number): CheckResult {
  const seconds = Math.round(skewMs / 1000);
  const said = `This host's clock is ${Math.abs(seconds)} s ${skewMs >= 0 ? "behind" : "ahead of"} the Management API's`;
  if (Math.abs(skewMs) <= MAX_SKEW_MS) return pass("clock skew", `${said}; the collector corrects for it.`);
  return fail(
    "clock skew",
    `${said}.`,
    "Synchronise this host's clock (NTP, chrony, w32time): Entra refuses certificate and federated assertions more than about 5 minutes off, and tokens may look expired.",
  );
}

function failure(check: string, what: string, error: unknown): CheckResult {
  const code = isAuditfeedError(error) ? error.code : "AF_ERR_UNEXPECTED";
  const message = error instanceof Error ? error.message : String(error);
  return fail(check, `${what} (${code}).`, message);
}
