import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { ContentType } from "../../../collector/src/source/content.ts";
import { isContentType } from "../../../collector/src/source/content.ts";
import type { IdentityProvider } from "../identity/index.ts";
import type { TenantState } from "../tenant.ts";
import { errorBody, errors } from "./af-errors.ts";
import type { ApiError } from "./af-errors.ts";
import type { MalformedKind } from "../options.ts";
import { sendMalformedBlob, streamJsonArray } from "./blob-body.ts";
import { parseContentId } from "../content/content-id.ts";
import { listContent } from "./list-content.ts";
import { parseRoute, queryOf } from "./route.ts";
import type { Route } from "./route.ts";
import type { FaultScript, Operation, ScriptedReply } from "./scripted-faults.ts";

const READ = "ActivityFeed.Read";
const READ_DLP = "ActivityFeed.ReadDlp";
/** What the service reports when a caller sends no PublisherIdentifier (TS). */
const NO_PUBLISHER = "00000000-0000-0000-0000-000000000000";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Internal method names as they appear in AF429 messages (TS shows GetBlob). */
const METHOD_NAMES: Readonly<Record<Operation, string>> = {
  start: "StartSubscription",
  stop: "StopSubscription",
  "list-subscriptions": "ListSubscriptions",
  "list-content": "ListContent",
  fetch: "GetBlob",
};

/** One request the emulator received, for test assertions. `status` is 0 while unanswered and for timeouts and resets. */
export interface RequestRecord {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  hadBearer: boolean;
  publisherIdentifier: string | undefined;
  tenantId: string | undefined;
  op: Operation | "unknown";
  contentType: ContentType | undefined;
  /** Virtual time the request arrived (ISO 8601). */
  at: string;
}

export interface ManagementContext {
  /** The management origin, e.g. "https://127.0.0.1:41234" (known once the server listens). */
  origin(): string;
  nowMs(): number;
  identity: Pick<IdentityProvider, "verifyBearer">;
  tenants: ReadonlyMap<string, TenantState>;
  script: FaultScript;
  pageSize: number;
  /** Where request records go; undefined keeps none. */
  requests: RequestRecord[] | undefined;
  /** Responses held open by a scripted "timeout", ended when the emulator closes. */
  held: Set<ServerResponse>;
}

type Reply =
  | { kind: "error"; error: ApiError }
  | { kind: "json"; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: "empty" }
  | { kind: "blob"; tenant: TenantState; contentType: ContentType; index: number; malformed: MalformedKind | undefined }
  | { kind: "asp-net"; status: number; message: string; headers?: Record<string, string> }
  | { kind: "timeout" }
  | { kind: "reset" };

const error = (e: ApiError): Reply => ({ kind: "error", error: e });

/** The Management Activity API request handler: authentication, budgets, faults, then the operation. */
export function createManagementHandler(context: ManagementContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(context, req, res).catch((cause: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { "Content-Type": "application/json; charset=utf-8" });
        res.end(errorBody(errors.internal()));
      } else {
        res.destroy(cause instanceof Error ? cause : undefined);
      }
    });
  };
}

async function handle(context: ManagementContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", context.origin());
  const query = queryOf(url);
  const route = parseRoute(url.pathname);
  const publisher = query.get("publisheridentifier");
  const record: RequestRecord = {
    method: req.method ?? "GET",
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    status: 0,
    hadBearer: /^bearer\s/i.test(req.headers.authorization ?? ""),
    publisherIdentifier: publisher,
    tenantId: route?.tenantId,
    op: route?.op ?? "unknown",
    contentType: contentTypeOf(route, query),
    at: new Date(context.nowMs()).toISOString(),
  };
  context.requests?.push(record);
  req.resume();

  const tenant = route === undefined ? undefined : context.tenants.get(route.tenantId);
  const reply = route === undefined ? notFound(url) : decide(context, req, route, query, tenant, publisher ?? NO_PUBLISHER, record.contentType);
  const slowMs = tenant?.options.faults.slowResponseMs ?? 0;
  if (slowMs > 0) await sleep(slowMs);
  await send(context, res, reply, record);
}

function contentTypeOf(route: Route | undefined, query: Map<string, string>): ContentType | undefined {
  if (route?.op === "fetch") return parseContentId(route.contentId ?? "")?.contentType;
  const value = query.get("contenttype");
  return value !== undefined && isContentType(value) ? value : undefined;
}

function notFound(url: URL): Reply {
  return { kind: "asp-net", status: 404, message: `No HTTP resource was found that matches the request URI '${url.href}'.` };
}

function decide(
  context: ManagementContext,
  req: IncomingMessage,
  route: Route,
  query: Map<string, string>,
  tenant: TenantState | undefined,
  publisher: string,
  contentType: ContentType | undefined,
): Reply {
  // Tokens are checked on every call, before anything else, as the ASP.NET front end does.
  const check = context.identity.verifyBearer(req.headers.authorization);
  if (!check.ok) return { kind: "asp-net", status: 401, message: "Authorization has been denied for this request.", headers: { "WWW-Authenticate": "Bearer" } };
  if (!GUID.test(route.tenantId)) return error(errors.tenantNotGuid(route.tenantId));
  if (check.token.tid.toLowerCase() !== route.tenantId) return error(errors.tenantMismatch(route.tenantId, check.token.tid));
  if (tenant === undefined) return error(errors.tenantUnknown(route.tenantId));
  if (!check.token.roles.includes(READ)) return error(errors.permissionMissing(check.token.roles, READ));
  if (req.method !== route.method)
    return { kind: "asp-net", status: 405, message: `The requested resource does not support http method '${req.method ?? ""}'.` };

  const method = METHOD_NAMES[route.op];
  const budget = tenant.overBudget(Date.now());
  if (budget.over) {
    // Both documented forms of AF429, alternating: 403 without Retry-After, 429 with it.
    return error(budget.used % 2 === 0 ? errors.throttled403(method, publisher) : errors.throttled429(method, publisher, budget.secondsToReset));
  }
  const scripted = context.script.take(route.op, contentType, route.contentId);
  if (scripted !== undefined) return scriptedReply(scripted, method, publisher, route.contentId ?? "");
  const rolled = tenant.rollFault();
  if (rolled !== undefined) return scriptedReply(rolled, method, publisher, "");

  if (route.op === "list-subscriptions") {
    const list = Object.entries(tenant.subscriptions.all())
      .filter(([, status]) => status !== "none")
      .map(([type, status]) => ({ contentType: type, status, webhook: null }));
    return { kind: "json", status: 200, body: list };
  }
  if (route.op === "fetch") return fetchBlob(context, tenant, route.contentId ?? "", check.token.roles);

  const typeParameter = query.get("contenttype");
  if (typeParameter === undefined || typeParameter === "") return error(errors.missingParameter("contentType"));
  if (contentType === undefined) return error(errors.invalidContentType(typeParameter));
  if (contentType === "DLP.All" && !check.token.roles.includes(READ_DLP)) return error(errors.permissionMissing(check.token.roles, READ_DLP));

  const nowMs = context.nowMs();
  if (route.op === "start") {
    if (!tenant.options.auditLoggingEnabled) return auditingOff(tenant, contentType, check.token.appid, publisher);
    const refused = tenant.subscriptions.start(contentType, nowMs, publisher);
    return refused !== undefined ? error(refused) : { kind: "json", status: 200, body: { contentType, status: "enabled", webhook: null } };
  }
  if (route.op === "stop") {
    const refused = tenant.subscriptions.stop(contentType);
    return refused !== undefined ? error(refused) : { kind: "empty" };
  }
  const listing = listContent({ tenant, contentType, query, nowMs, pageSize: context.pageSize, origin: context.origin() });
  return "code" in listing ? error(listing) : { kind: "json", status: 200, body: listing.descriptors, headers: listing.headers };
}

function fetchBlob(context: ManagementContext, tenant: TenantState, contentId: string, roles: string[]): Reply {
  const parsed = parseContentId(contentId);
  if (parsed === undefined) return error(errors.invalidContentId(contentId));
  if (parsed.contentType === "DLP.All" && !roles.includes(READ_DLP)) return error(errors.permissionMissing(roles, READ_DLP));
  const blob = tenant.fetchable(parsed.contentType, parsed.createdMs, parsed.shard, contentId, context.nowMs());
  if ("code" in blob) return error(blob);
  return { kind: "blob", tenant, contentType: parsed.contentType, index: blob.index, malformed: blob.malformed };
}

/**
 * Unified audit logging off: HTTP 400 whose `code` is a diagnostic string cut off at "[AppId" and whose `message`
 * continues it with a DataServiceException "Tenant ... does not exist" and a .NET stack trace (REF issue #89 et al.).
 */
function auditingOff(tenant: TenantState, contentType: ContentType, appId: string, publisher: string): Reply {
  const tenantId = tenant.options.tenantId;
  const correlation = "0f5a3b1e-7c2d-4e8f-9a1b-2c3d4e5f6a7b";
  return {
    kind: "json",
    status: 400,
    body: {
      error: {
        code: `StartSubscription [CorrId=${correlation}][TenantId=${tenantId},ContentType=${contentType},ApplicationId=${appId},PublisherId=${publisher}][AppId`,
        message:
          `=${appId}] failed. Exception: Microsoft.Office.Compliance.Audit.DataServiceException: Tenant ${tenantId} does not exist.\r\n` +
          "   at Microsoft.Office.Compliance.Audit.API.AzureManager.GetSubscriptionTableClient(String tenantId)\r\n" +
          "   at Microsoft.Office.Compliance.Audit.API.AzureManager.StartSubscription(String tenantId, String contentType, String appId, String publisherId, Webhook webhook)",
      },
    },
  };
}

function scriptedReply(reply: ScriptedReply, method: string, publisher: string, contentId: string): Reply {
  switch (reply) {
    case "AF50000":
      return error(errors.internal());
    case "AF429-403":
      return error(errors.throttled403(method, publisher));
    case "AF429-429":
      return error(errors.throttled429(method, publisher, 1));
    case "AF20051":
      return error(errors.contentExpired(contentId));
    case "timeout":
      return { kind: "timeout" };
    case "reset":
      return { kind: "reset" };
    default:
      return reply.headers === undefined
        ? { kind: "json", status: reply.status, body: reply.body }
        : { kind: "json", status: reply.status, body: reply.body, headers: reply.headers };
  }
}

async function send(context: ManagementContext, res: ServerResponse, reply: Reply, record: RequestRecord): Promise<void> {
  // The Date header follows the virtual clock: collectors measure server time (and skew) from it.
  res.setHeader("Date", new Date(context.nowMs()).toUTCString());
  const json = { "Content-Type": "application/json; charset=utf-8" };
  switch (reply.kind) {
    case "timeout":
      context.held.add(res);
      res.on("close", () => context.held.delete(res));
      return;
    case "reset":
      res.socket?.destroy();
      return;
    case "error":
      record.status = reply.error.status;
      res.writeHead(reply.error.status, { ...json, ...reply.error.headers });
      res.end(errorBody(reply.error));
      return;
    case "asp-net":
      record.status = reply.status;
      res.writeHead(reply.status, { ...json, ...reply.headers });
      res.end(JSON.stringify({ Message: reply.message }));
      return;
    case "json":
      record.status = reply.status;
      res.writeHead(reply.status, { ...json, ...reply.headers });
      res.end(JSON.stringify(reply.body));
      return;
    case "empty":
      record.status = 200;
      res.writeHead(200, { "Content-Length": "0" });
      res.end();
      return;
    case "blob":
      record.status = 200;
      res.writeHead(200, json);
      if (reply.malformed === undefined) await streamJsonArray(res, reply.tenant.blobRecords(reply.contentType, reply.index));
      else {
        const broken = reply.tenant.timeline(reply.contentType).brokenRecord(reply.index).record;
        sendMalformedBlob(res, [...reply.tenant.blobRecords(reply.contentType, reply.index)], broken, reply.malformed);
      }
      return;
  }
}
