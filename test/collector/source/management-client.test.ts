import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ServerResponse } from "node:http";
import { ClientSecretCredential, type TokenCredential } from "@azure/identity";
import type { CollectorConfig } from "../../../collector/src/config/config.ts";
import { isAuditfeedError, type AuditfeedError } from "../../../collector/src/errors.ts";
import { createLogger, silentLogger } from "../../../collector/src/log/logger.ts";
import type { ContentDescriptor } from "../../../collector/src/source/content.ts";
import { createCredential } from "../../../collector/src/source/credential.ts";
import { ManagementClient, type ManagementClientSettings } from "../../../collector/src/source/management-client.ts";
import {
  afError,
  CLIENT,
  PUBLISHER,
  sendJson,
  startAuthority,
  startHttpsServer,
  TENANT,
  testConfig,
  type Authority,
  type Handler,
  type TestServer,
} from "./fixtures/servers.ts";

const FAST_RETRY = { initialDelayInMs: 5, maxRetryDelayInMs: 50, maxElapsedInMs: 3_000 };
const ROOT = `/api/v1.0/${TENANT}/activity/feed`;

let authority: Authority;
const open: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  authority = await startAuthority();
});
afterAll(async () => {
  await authority.server.close();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((item) => item.close()));
});

async function server(handler: Handler): Promise<TestServer> {
  const started = await startHttpsServer(handler);
  open.push(started);
  return started;
}

function client(api: TestServer, overrides: Partial<CollectorConfig> = {}, settings: Partial<ManagementClientSettings> = {}): ManagementClient {
  const config = testConfig(api.origin, authority.server.origin, overrides);
  const made = new ManagementClient({ config, credential: createCredential(config), logger: silentLogger, retry: FAST_RETRY, ...settings });
  open.push(made);
  return made;
}

async function failureOf(promise: Promise<unknown>): Promise<AuditfeedError> {
  try {
    await promise;
  } catch (error) {
    if (isAuditfeedError(error)) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

async function collect<T>(iterable: AsyncIterable<T[]>): Promise<T[][]> {
  const pages: T[][] = [];
  for await (const page of iterable) pages.push(page);
  return pages;
}

function descriptor(contentUri: string, contentId = "blob-1"): ContentDescriptor {
  return { contentType: "Audit.Exchange", contentId, contentUri, contentCreated: "2026-11-23T05:00:00.000Z", contentExpiration: "2026-11-30T05:00:00.000Z" };
}

const record = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  Id: id,
  CreationTime: "2026-11-23T04:59:00",
  Operation: "MailItemsAccessed",
  ...extra,
});

describe("ManagementClient – requests", () => {
  it("should send a bearer token Entra issued and PublisherIdentifier when listing subscriptions", async () => {
    const api = await server((_req, res) => sendJson(res, 200, [{ contentType: "Audit.Exchange", status: "enabled", webhook: null }]));
    const lines: string[] = [];
    const subscriptions = await client(api, {}, { logger: createLogger({ level: "debug", write: (line) => lines.push(line) }) }).listSubscriptions();
    expect(subscriptions).toEqual([{ contentType: "Audit.Exchange", status: "enabled" }]);
    const [request] = api.requests;
    const url = new URL(request?.url ?? "", api.origin);
    expect(url.pathname).toBe(`${ROOT}/subscriptions/list`);
    expect(url.searchParams.get("PublisherIdentifier")).toBe(PUBLISHER);
    const check = authority.identity.verifyBearer(request?.headers.authorization);
    expect(check.ok && check.token.appid).toBe(CLIENT);
    const logged = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logged).toContainEqual(expect.objectContaining({ msg: "Management API request.", method: "GET", path: `${ROOT}/subscriptions/list`, status: 200 }));
    const token = request?.headers.authorization?.slice("Bearer ".length) ?? "";
    expect(token.length).toBeGreaterThan(20);
    expect(lines.join("")).not.toContain(token);
  });

  it("should treat 200 as started and 400 AF20024 as already enabled", async () => {
    const api = await server((_req, res, index) =>
      index === 0
        ? sendJson(res, 200, { contentType: "DLP.All", status: "enabled", webhook: null })
        : afError(res, 400, "AF20024", "The subscription is already enabled."),
    );
    const managed = client(api);
    expect(await managed.startSubscription("DLP.All")).toBe("started");
    expect(await managed.startSubscription("DLP.All")).toBe("already-enabled");
    const url = new URL(api.requests[1]?.url ?? "", api.origin);
    expect(api.requests[1]?.method).toBe("POST");
    expect(url.pathname).toBe(`${ROOT}/subscriptions/start`);
    expect(url.searchParams.get("contentType")).toBe("DLP.All");
    expect(url.searchParams.get("PublisherIdentifier")).toBe(PUBLISHER);
  });

  it("should say how to turn unified audit logging on when start answers 'Tenant ... does not exist'", async () => {
    const api = await server((_req, res) =>
      sendJson(res, 400, {
        error: {
          code: `StartSubscription [CorrId=1][TenantId=${TENANT},ContentType=Audit.General,ApplicationId=${CLIENT},PublisherId=${PUBLISHER}][AppId`,
          message: `] failed. Exception: Microsoft.Office.Compliance.Audit.DataServiceException: Tenant ${TENANT} does not exist.\r\n   at Microsoft.Office.Compliance...`,
        },
      }),
    );
    const error = await failureOf(client(api).startSubscription("Audit.General"));
    expect(error.code).toBe("AF_ERR_AUDIT_DISABLED");
    expect(error.message).toContain("Set-AdminAuditLogConfig -UnifiedAuditLogIngestionEnabled $true");
    expect(error.message).toContain("60 minutes");
    expect(error.retryable).toBe(false);
  });

  it.each([
    ["DLP.All", "ActivityFeed.ReadDlp"],
    ["Audit.Exchange", "ActivityFeed.Read"],
  ] as const)("should name the missing permission on AF10001 for %s", async (contentType, permission) => {
    const api = await server((_req, res) =>
      afError(res, 401, "AF10001", "The permission set () sent in the request does not include the expected permission."),
    );
    const error = await failureOf(client(api).startSubscription(contentType));
    expect(error.code).toBe("AF_ERR_PERMISSION");
    expect(error.message).toContain(`lacks the ${permission} application permission`);
    expect(api.requests).toHaveLength(1);
  });

  it.each([
    ["AF20010", 401, "AF_ERR_CONFIG", false],
    ["AF20011", 400, "AF_ERR_CONFIG", false],
    ["AF20013", 400, "AF_ERR_CONFIG", false],
    ["AF20020", 400, "AF_ERR_CONFIG", false],
    ["AF20022", 400, "AF_ERR_NO_SUBSCRIPTION", false],
    ["AF20023", 400, "AF_ERR_NO_SUBSCRIPTION", false],
    ["AF20030", 400, "AF_ERR_API_REQUEST", false],
    ["AF20055", 400, "AF_ERR_API_REQUEST", false],
    ["AF99999", 400, "AF_ERR_API", false],
  ] as const)("should map %s (HTTP %i) to %s", async (afCode, status, code, retryable) => {
    const api = await server((_req, res) => afError(res, status, afCode));
    const error = await failureOf(collect(client(api).listContent("Audit.Exchange", { start: new Date(0), end: new Date(3_600_000) })));
    expect(error.code).toBe(code);
    expect(error.retryable).toBe(retryable);
    expect(error.message).toContain(afCode);
    expect(api.requests).toHaveLength(1);
  });

  it.each(["AF20050", "AF20051"])("should report %s on a blob as content gone, not retryable", async (afCode) => {
    const api = await server((_req, res) => afError(res, 404, afCode));
    const error = await failureOf(collect(client(api).fetchContent(descriptor(`${api.origin}${ROOT}/audit/blob-1`))));
    expect(error.code).toBe("AF_ERR_CONTENT_GONE");
    expect(error.retryable).toBe(false);
    expect(api.requests).toHaveLength(1);
  });

  it("should retry AF50000, AF50005, 408, 503 and a dropped connection, then succeed", async () => {
    const api = await server((req, res, index) => {
      if (index === 0) return afError(res, 500, "AF50000");
      if (index === 1) return afError(res, 500, "AF50005");
      if (index === 2) return afError(res, 408, "");
      if (index === 3) return afError(res, 503, "");
      if (index === 4) return void req.socket.destroy();
      sendJson(res, 200, []);
    });
    const pages = await collect(client(api).listContent("Audit.SharePoint", { start: new Date(0), end: new Date(3_600_000) }));
    expect(pages).toEqual([[]]);
    expect(api.requests).toHaveLength(6);
  });

  it("should give up with a retryable error once the elapsed budget is spent", async () => {
    const api = await server((_req, res) => afError(res, 500, "AF50000"));
    const error = await failureOf(client(api, {}, { retry: { initialDelayInMs: 20, maxRetryDelayInMs: 40, maxElapsedInMs: 150 } }).listSubscriptions());
    expect(error.code).toBe("AF_ERR_TRANSIENT");
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/Gave up after \d+ attempts/);
  });

  it("should fetch a fresh token once on 401 and then succeed", async () => {
    const api = await server((_req, res, index) =>
      index === 0 ? sendJson(res, 401, { error: { code: "InvalidToken", message: "expired" } }) : sendJson(res, 200, []),
    );
    const before = authority.tokenRequests();
    await client(api).listSubscriptions();
    expect(api.requests).toHaveLength(2);
    // One token for the first call, and a second one the cache could not serve.
    expect(authority.tokenRequests() - before).toBe(2);
    expect(authority.identity.verifyBearer(api.requests[1]?.headers.authorization).ok).toBe(true);
  });

  it("should ask the credential for a token once while it is fresh, and again once its renewal is due", async () => {
    const api = await server((_req, res) => sendJson(res, 200, []));
    // Renewal is due 5 minutes before expiry: about 1 s after this token is issued (MSAL rounds its expiry to the second
    // and may count from its own clock reading, so up to 2 s).
    const shortLived = await startAuthority({}, [], { tokenLifetimeSeconds: 301 });
    open.push(shortLived.server);
    const config = testConfig(api.origin, shortLived.server.origin);
    const credential = createCredential(config);
    let asked = 0;
    const counting: TokenCredential = {
      getToken: (scopes, options) => {
        asked++;
        return credential.getToken(scopes, options);
      },
    };
    const made = new ManagementClient({ config, credential: counting, logger: silentLogger, retry: FAST_RETRY });
    open.push(made);
    for (let call = 0; call < 5; call++) await made.listSubscriptions();
    expect(asked).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    await made.listSubscriptions();
    // Whether @azure/identity then serves its cached token or fetches one is its own decision (MSAL's renewal margin).
    expect(asked).toBe(2);
    expect(api.requests).toHaveLength(6);
    for (const request of api.requests) expect(shortLived.identity.verifyBearer(request.headers.authorization).ok).toBe(true);
  });

  it("should fail clearly when the fresh token is refused too", async () => {
    const api = await server((_req, res) => sendJson(res, 401, { error: { code: "InvalidToken", message: "no" } }));
    const error = await failureOf(client(api).listSubscriptions());
    expect(error.code).toBe("AF_ERR_AUTH");
    expect(error.message).toContain("also after a fresh one");
    expect(api.requests).toHaveLength(2);
  });

  it("should report an Entra refusal without the secret", async () => {
    const api = await server((_req, res) => sendJson(res, 200, []));
    const error = await failureOf(client(api, { credential: { kind: "secret", clientSecret: "wrong-secret-xyz" } }).listSubscriptions());
    expect(error.code).toBe("AF_ERR_AUTH");
    expect(error.message).not.toContain("wrong-secret-xyz");
    expect(api.requests).toHaveLength(0);
  });

  it("should measure the clock skew from the server's Date header", async () => {
    const ahead = new Date(Date.now() + 3_600_000).toUTCString();
    const api = await server((_req, res) => sendJson(res, 200, [], { date: ahead }));
    const managed = client(api);
    await managed.listSubscriptions();
    const skew = managed.serverNow().getTime() - Date.now();
    expect(Math.abs(skew - 3_600_000)).toBeLessThan(5_000);
  });

  it("should stop waiting when the signal aborts", async () => {
    const api = await server(() => undefined);
    const controller = new AbortController();
    const pending = client(api).listSubscriptions(controller.signal);
    while (api.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new Error("shutting down"));
    await expect(pending).rejects.toThrow("shutting down");
  });

  it("should stop retrying at once when the signal aborts during a backoff, and send nothing after", async () => {
    const api = await server((_req, res) => afError(res, 500, "AF50000"));
    const controller = new AbortController();
    const slowRetry = { initialDelayInMs: 60_000, maxRetryDelayInMs: 60_000, maxElapsedInMs: 600_000 };
    const pending = client(api, {}, { retry: slowRetry }).listContent("Audit.Exchange", { start: new Date(0), end: new Date(3_600_000) }, controller.signal);
    const settled = collect(pending).then(
      () => "resolved",
      (error: Error) => error.message,
    );
    while (api.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const abortedAt = Date.now();
    controller.abort(new Error("stopped on SIGTERM"));
    expect(await settled).toBe("stopped on SIGTERM");
    expect(Date.now() - abortedAt).toBeLessThan(1_000);
    const sent = api.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(api.requests.length).toBe(sent);
  });

  it("should stop waiting for the request budget when the signal aborts, even behind other requests", async () => {
    const api = await server((_req, res) => sendJson(res, 200, []));
    const managed = client(api, { requestsPerMinute: 1 });
    await managed.listSubscriptions();
    const ahead = managed.listSubscriptions().catch(() => undefined);
    const controller = new AbortController();
    const queued = managed.listSubscriptions(controller.signal);
    controller.abort(new Error("stopped on SIGINT"));
    await expect(queued).rejects.toThrow("stopped on SIGINT");
    expect(api.requests).toHaveLength(1);
    void ahead;
  });
});

describe("ManagementClient – listing content", () => {
  it("should follow NextPageUri in any letter case and send PublisherIdentifier on every page", async () => {
    let origin = "";
    const api = await server((req, res) => {
      const url = new URL(req.url ?? "", origin);
      const page = url.searchParams.get("nextPage");
      const item = (id: string): ContentDescriptor => descriptor(`${origin}${ROOT}/audit/${id}`, id);
      if (page === null)
        return sendJson(res, 200, [item("a")], {
          NextPageUri: `${origin}/api/v1/${TENANT}/activity/feed/subscriptions/content?contentType=Audit.Exchange&nextPage=p2`,
        });
      if (page === "p2") return sendJson(res, 200, [item("b")], { NEXTPAGEURI: `${origin}${url.pathname}?contentType=Audit.Exchange&nextPage=p3` });
      sendJson(res, 200, [item("c")]);
    });
    origin = api.origin;
    const pages = await collect(
      client(api).listContent("Audit.Exchange", { start: new Date("2026-11-22T05:00:00.250Z"), end: new Date("2026-11-23T05:00:00Z") }),
    );
    expect(pages.map((page) => page.map((item) => item.contentId))).toEqual([["a"], ["b"], ["c"]]);
    const urls = api.requests.map((request) => new URL(request.url, origin));
    expect(urls.map((url) => url.searchParams.get("PublisherIdentifier"))).toEqual([PUBLISHER, PUBLISHER, PUBLISHER]);
    expect(urls[0]?.searchParams.get("startTime")).toBe("2026-11-22T05:00:00");
    expect(urls[0]?.searchParams.get("endTime")).toBe("2026-11-23T05:00:00");
    expect(urls[1]?.pathname).toBe(`/api/v1/${TENANT}/activity/feed/subscriptions/content`);
  });

  it("should refuse a NextPageUri on another host and send it nothing", async () => {
    const poison = await server((_req, res) => sendJson(res, 200, []));
    const api = await server((_req, res) => sendJson(res, 200, [], { NextPageUri: `${poison.origin}${ROOT}/subscriptions/content?nextPage=x` }));
    const error = await failureOf(collect(client(api).listContent("Audit.Exchange", { start: new Date(0), end: new Date(3_600_000) })));
    expect(error.code).toBe("AF_ERR_UNTRUSTED_URL");
    expect(error.message).toContain(new URL(poison.origin).host);
    expect(poison.requests).toHaveLength(0);
  });
});

describe("ManagementClient – fetching content", () => {
  it("should refuse a contentUri on another host: that host receives no request and no token", async () => {
    const poison = await server((_req, res) => sendJson(res, 200, [record("stolen")]));
    const api = await server((_req, res) => sendJson(res, 200, []));
    const error = await failureOf(collect(client(api).fetchContent(descriptor(`${poison.origin}${ROOT}/audit/blob-1`))));
    expect(error.code).toBe("AF_ERR_UNTRUSTED_URL");
    expect(error.message).toContain(new URL(poison.origin).host);
    expect(poison.requests.filter((request) => request.headers.authorization !== undefined)).toHaveLength(0);
    expect(poison.requests).toHaveLength(0);
  });

  it("should refuse a contentUri on the right host over plain http", async () => {
    const api = await server((_req, res) => sendJson(res, 200, []));
    const error = await failureOf(collect(client(api).fetchContent(descriptor(`${api.origin.replace("https:", "http:")}${ROOT}/audit/blob-1`))));
    expect(error.code).toBe("AF_ERR_UNTRUSTED_URL");
    expect(api.requests).toHaveLength(0);
  });

  it("should stream records in batches with their Id, PublisherIdentifier on the GET, one line each", async () => {
    const records = Array.from({ length: 25 }, (_, index) => record(`id-${index}`));
    const body = `[\n  ${JSON.stringify(records[0], null, 2)},\n${records
      .slice(1)
      .map((item) => JSON.stringify(item))
      .join(" ,\r\n")}, {"Operation":"NoId"}\n]`;
    const api = await server((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body);
    });
    const batches = await collect(client(api, {}, { recordsPerBatch: 10 }).fetchContent(descriptor(`${api.origin}${ROOT}/audit/blob-1`)));
    expect(batches.map((batch) => batch.length)).toEqual([10, 10, 6]);
    const fetched = batches.flat();
    expect(fetched.slice(0, 25).map((item) => item.id)).toEqual(records.map((item) => item["Id"]));
    expect(fetched[0]?.bytes.toString()).toBe(JSON.stringify(records[0]));
    expect(fetched[1]?.bytes.toString()).toBe(JSON.stringify(records[1]));
    expect(fetched[25]?.id).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(fetched.every((item) => !item.bytes.includes("\n"))).toBe(true);
    const url = new URL(api.requests[0]?.url ?? "", api.origin);
    expect(url.searchParams.get("PublisherIdentifier")).toBe(PUBLISHER);
  });

  it("should keep an existing PublisherIdentifier on the contentUri", async () => {
    const api = await server((_req, res) => sendJson(res, 200, [record("x")]));
    await collect(client(api).fetchContent(descriptor(`${api.origin}${ROOT}/audit/blob-1?publisheridentifier=${PUBLISHER}`)));
    const url = new URL(api.requests[0]?.url ?? "", api.origin);
    expect(url.search).toBe(`?publisheridentifier=${PUBLISHER}`);
  });

  it("should end a blob's download with the signal's reason when it aborts mid-body", async () => {
    const api = await server((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(`[${JSON.stringify(record("first"))},`);
    });
    const controller = new AbortController();
    const seen: string[] = [];
    const reading = (async () => {
      for await (const batch of client(api, {}, { recordsPerBatch: 1 }).fetchContent(descriptor(`${api.origin}${ROOT}/audit/blob-1`), controller.signal)) {
        seen.push(...batch.map((item) => item.id));
        controller.abort(new Error("stopped on SIGTERM"));
      }
    })();
    await expect(reading).rejects.toThrow("stopped on SIGTERM");
    expect(seen).toEqual(["first"]);
  });

  it("should throw a retryable error when the body breaks off, after the batches already read", async () => {
    const api = await server((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(`[${Array.from({ length: 5 }, (_, index) => JSON.stringify(record(`id-${index}`))).join(",")},{"Id":"cut`);
      setTimeout(() => res.socket?.destroy(), 20);
    });
    const seen: string[] = [];
    const error = await failureOf(
      (async () => {
        for await (const batch of client(api, {}, { recordsPerBatch: 2 }).fetchContent(descriptor(`${api.origin}${ROOT}/audit/blob-1`)))
          seen.push(...batch.map((item) => item.id));
      })(),
    );
    expect(seen).toEqual(["id-0", "id-1", "id-2", "id-3"]);
    expect(error.code).toBe("AF_ERR_TRANSIENT");
    expect(error.retryable).toBe(true);
  });

  it("should tell a malformed blob (complete, but not a JSON array of objects) from a broken download", async () => {
    const api = await server((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(`[${JSON.stringify(record("id-0"))},{"Id":"cut`);
    });
    const error = await failureOf(
      (async () => {
        for await (const batch of client(api, {}, {}).fetchContent(descriptor(`${api.origin}${ROOT}/audit/blob-1`))) void batch;
      })(),
    );
    expect(error.code).toBe("AF_ERR_BLOB_MALFORMED");
    expect(error.message).toContain("blob-1");
    expect(error.message).toContain("truncated");
  });
});

describe("ManagementClient – throttling", () => {
  it("should pause every request of the tenant for Retry-After seconds when one is throttled", async () => {
    let throttledAt = 0;
    const arrivals: Array<{ path: string; at: number }> = [];
    const api = await server((req, res: ServerResponse) => {
      arrivals.push({ path: req.url ?? "", at: Date.now() });
      if (req.url?.includes("blob-a") && throttledAt === 0) {
        throttledAt = Date.now();
        return afError(res, 403, "AF429", "Too many requests. Method=GetBlob, PublisherId=x", { "retry-after": "1" });
      }
      sendJson(res, 200, [record(req.url ?? "")]);
    });
    const lines: string[] = [];
    let paused: () => void = () => undefined;
    const pauseLogged = new Promise<void>((resolve) => (paused = resolve));
    const write = (line: string): void => {
      lines.push(line);
      if (line.includes("throttling the tenant")) paused();
    };
    const managed = client(
      api,
      {},
      { logger: createLogger({ level: "info", write }), retry: { initialDelayInMs: 5, maxRetryDelayInMs: 5_000, maxElapsedInMs: 10_000 } },
    );
    const first = collect(managed.fetchContent(descriptor(`${api.origin}${ROOT}/audit/blob-a`, "blob-a")));
    await pauseLogged;
    // Another call of the same client, started while the tenant is paused, must wait out the same pause.
    const second = collect(managed.fetchContent(descriptor(`${api.origin}${ROOT}/audit/blob-b`, "blob-b")));
    await Promise.all([first, second]);
    const later = arrivals.filter((arrival) => arrival.at > throttledAt);
    expect(later.map((arrival) => arrival.path.split("?")[0]?.split("/").pop()).sort()).toEqual(["blob-a", "blob-b"]);
    for (const arrival of later) expect(arrival.at - throttledAt).toBeGreaterThanOrEqual(990);
    const logged = lines.map((line) => JSON.parse(line) as { msg: string; retryAfterHonoured?: boolean });
    expect(logged.some((line) => line.msg.includes("throttling the tenant") && line.retryAfterHonoured === true)).toBe(true);
  });

  it("should honour Retry-After given as an HTTP date on a plain 429", async () => {
    let throttledAt = 0;
    let retriedAt = 0;
    const api = await server((_req, res, index) => {
      if (index === 0) {
        throttledAt = Date.now();
        return afError(res, 429, "", "slow down", { "retry-after": new Date(Date.now() + 2_000).toUTCString() });
      }
      retriedAt = Date.now();
      sendJson(res, 200, []);
    });
    await client(api, {}, { retry: { initialDelayInMs: 5, maxRetryDelayInMs: 5_000, maxElapsedInMs: 10_000 } }).listSubscriptions();
    // An HTTP date has whole seconds, so the pause is at least one second.
    expect(retriedAt - throttledAt).toBeGreaterThanOrEqual(990);
  });

  it("should back off without Retry-After and report AF_ERR_THROTTLED when throttling persists", async () => {
    const api = await server((_req, res) => afError(res, 403, "AF429"));
    const error = await failureOf(client(api, {}, { retry: { initialDelayInMs: 10, maxRetryDelayInMs: 20, maxElapsedInMs: 200 } }).listSubscriptions());
    expect(error.code).toBe("AF_ERR_THROTTLED");
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("requestsPerMinute");
    expect(api.requests.length).toBeGreaterThan(1);
  });
});

describe("ManagementClient – credentials", () => {
  it("should accept any @azure/identity TokenCredential", async () => {
    const api = await server((_req, res) => sendJson(res, 200, []));
    const config = testConfig(api.origin, authority.server.origin);
    const credential = new ClientSecretCredential(TENANT, CLIENT, "test-secret-value-123", {
      authorityHost: authority.server.origin,
      disableInstanceDiscovery: true,
    });
    const managed = new ManagementClient({ config, credential, logger: silentLogger });
    open.push(managed);
    await managed.listSubscriptions();
    expect(authority.identity.verifyBearer(api.requests[0]?.headers.authorization).ok).toBe(true);
  });
});
