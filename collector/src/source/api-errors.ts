import { AuditfeedError } from "../errors.ts";
import { redactText } from "../log/redact.ts";
import type { ContentType } from "./content.ts";

/** What a failed call was doing, so its error can say so and name the right permission. */
export interface CallContext {
  readonly operation: "list subscriptions" | "start subscription" | "list content" | "fetch content";
  readonly contentType?: ContentType;
  readonly tenantId: string;
  readonly clientId: string;
}

/** A non-2xx answer, read into the API's `{"error":{"code","message"}}` shape when it has it. */
export interface ApiFailure {
  readonly status: number;
  readonly afCode: string | undefined;
  /** The server's message, shortened and redacted. */
  readonly apiMessage: string;
  /** The body carries the "DataServiceException: Tenant <id> does not exist" that means unified audit logging is off. */
  readonly tenantDoesNotExist: boolean;
}

const MAX_MESSAGE_CHARS = 300;

export function readApiFailure(status: number, body: string): ApiFailure {
  let code: unknown;
  let message: unknown;
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    code = parsed.error?.code;
    message = parsed.error?.message;
  } catch {
    message = body;
  }
  const text = `${typeof code === "string" && !/^AF\w+$/.test(code) ? code : ""}${typeof message === "string" ? message : ""}`;
  return {
    status,
    afCode: typeof code === "string" && /^AF\w+$/.test(code) ? code : undefined,
    apiMessage: redactText(text.replace(/\s+/g, " ").trim().slice(0, MAX_MESSAGE_CHARS)),
    tenantDoesNotExist: /Tenant \S+ does not exist/i.test(text),
  };
}

/** AF429 arrives as 403 (Microsoft's example) and throttling may also come as a plain 429. */
export function isThrottled(failure: ApiFailure): boolean {
  return failure.status === 429 || failure.afCode === "AF429";
}

const TRANSIENT_CODES: ReadonlySet<string> = new Set(["AF50000", "AF50005", "AF50006"]);

/** Worth retrying as is: internal errors, request timeouts, 5xx. Throttling is handled separately. */
export function isTransient(failure: ApiFailure): boolean {
  return (failure.afCode !== undefined && TRANSIENT_CODES.has(failure.afCode)) || failure.status === 408 || failure.status >= 500;
}

/** The error a failed call ends with, per the AF code table (reference §4): a stable code and a sentence with the fix. */
export function toAuditfeedError(failure: ApiFailure, context: CallContext): AuditfeedError {
  const what = `${context.operation}${context.contentType === undefined ? "" : ` for ${context.contentType}`}`;
  const said = `(HTTP ${failure.status}${failure.afCode === undefined ? "" : ` ${failure.afCode}`}${failure.apiMessage === "" ? "" : `: ${failure.apiMessage}`})`;
  const make = (code: string, sentence: string, retryable = false): AuditfeedError => new AuditfeedError(code, `${sentence} ${said}`, { retryable });
  const code = failure.afCode ?? "";

  if (code === "AF10001") {
    const permission = context.contentType === "DLP.All" ? "ActivityFeed.ReadDlp" : "ActivityFeed.Read";
    return make(
      "AF_ERR_PERMISSION",
      `The Management API refused to ${what}: app ${context.clientId} lacks the ${permission} application permission of "Office 365 Management APIs" in tenant ${context.tenantId}. Grant it and give admin consent (infra/ does both), then wait a few minutes.`,
    );
  }
  if (code === "AF20010")
    return make(
      "AF_ERR_CONFIG",
      `The token's tenant differs from tenant ${context.tenantId} in the URL: set tenantId to the tenant the app signs in to, or consent the app in tenant ${context.tenantId}.`,
    );
  if (code === "AF20011") return make("AF_ERR_CONFIG", `Tenant ${context.tenantId} does not exist or was deleted: check tenantId.`);
  if (code === "AF20012") return make("AF_ERR_CONFIG", `Tenant ${context.tenantId} is misconfigured on Microsoft's side: open a Microsoft support case.`);
  if (code === "AF20013") return make("AF_ERR_CONFIG", `Tenant ID ${context.tenantId} is not a valid GUID: check tenantId.`);
  if (code === "AF20020")
    return make("AF_ERR_CONFIG", `The Management API does not accept content type ${context.contentType ?? "(none)"}: remove it from contentTypes.`);
  if (code === "AF20021")
    return make("AF_ERR_CONFIG", "The webhook address could not be validated: auditfeed polls and sends no webhook, so this is a bug; please report it.");
  if (code === "AF20022")
    return make("AF_ERR_NO_SUBSCRIPTION", `There is no subscription for ${context.contentType ?? "this content type"}: start it, then retry.`);
  if (code === "AF20023")
    return make(
      "AF_ERR_NO_SUBSCRIPTION",
      `The subscription for ${context.contentType ?? "this content type"} was disabled by an administrator: start it again, then retry.`,
    );
  if (code === "AF20050" || code === "AF20051" || code === "AF20052") {
    return make(
      "AF_ERR_CONTENT_GONE",
      `The blob can no longer be fetched (${code === "AF20051" ? "expired" : code === "AF20050" ? "does not exist" : "invalid content ID"}); it is skipped, and nothing can recover it from this API.`,
    );
  }
  if (code === "AF20030" || code === "AF20055" || code === "AF20031" || /^AF2000[123]$/.test(code)) {
    return make("AF_ERR_API_REQUEST", `The Management API rejected auditfeed's request to ${what} as malformed; this is a bug in auditfeed, please report it.`);
  }
  if (failure.status === 400 && context.operation === "start subscription" && failure.tenantDoesNotExist) {
    return make(
      "AF_ERR_AUDIT_DISABLED",
      `Unified audit logging is off in tenant ${context.tenantId}, so there is nothing to subscribe to. Turn it on in Exchange Online PowerShell with Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true (or in the Purview portal under Audit), wait up to 60 minutes, and run auditfeed again.`,
    );
  }
  if (isThrottled(failure))
    return make(
      "AF_ERR_THROTTLED",
      `The Management API throttled the tenant while trying to ${what}: lower requestsPerMinute or fetchConcurrency, or ask Microsoft support for a higher quota.`,
      true,
    );
  if (isTransient(failure)) return make("AF_ERR_TRANSIENT", `The Management API failed to ${what}; it said to retry.`, true);
  if (failure.status === 401) {
    return make(
      "AF_ERR_AUTH",
      `The Management API rejected the access token to ${what}, also after a fresh one: check that cloud matches the tenant's cloud, that tenantId is right, and that the app is consented in the tenant.`,
    );
  }
  return make("AF_ERR_API", `The Management API refused to ${what}.`);
}
