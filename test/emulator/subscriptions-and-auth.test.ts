import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_APP, DEMO_TENANT } from "../../emulator/src/index.ts";
import type { AppRegistration, Emulator } from "../../emulator/src/index.ts";
import { errorCode, FeedClient, FIXED_NOW, startTrusted, tokenFor } from "./helpers.ts";

const OTHER_TENANT = "0b0b0b0b-2222-4333-8444-555555555555";
const QUIET_TENANT = "0d0d0d0d-2222-4333-8444-555555555555";

function app(tenantId: string, clientId: string, roles: string[]): AppRegistration {
  return { tenantId, clientId, secrets: ["s3cret"], certificatePems: [], federatedCredentials: [], roles };
}

describe("subscriptions and authorization", () => {
  let emulator: Emulator;
  let feed: FeedClient;
  const other = app(OTHER_TENANT, "0b0b0b0b-0000-4000-8000-00000000000a", ["ActivityFeed.Read"]);
  const quiet = app(QUIET_TENANT, "0d0d0d0d-0000-4000-8000-00000000000a", ["ActivityFeed.Read", "ActivityFeed.ReadDlp"]);

  beforeAll(async () => {
    emulator = await startTrusted({
      tenants: [
        { tenantId: DEMO_TENANT, apps: [app(DEMO_TENANT, DEMO_APP.clientId, ["ActivityFeed.Read", "ActivityFeed.ReadDlp"])] },
        { tenantId: OTHER_TENANT, apps: [other] },
        { tenantId: QUIET_TENANT, apps: [quiet], auditLoggingEnabled: false },
      ],
    });
    feed = new FeedClient(emulator, DEMO_TENANT, await tokenFor(emulator, DEMO_TENANT, DEMO_APP.clientId, "s3cret"));
  });
  afterAll(() => emulator.close());

  it("should start, refuse a repeated start with 400 AF20024, list, and stop", async () => {
    expect((await feed.subscriptions()).json).toEqual([]);
    const started = await feed.start("Audit.Exchange");
    expect(started.status).toBe(200);
    expect(started.json).toEqual({ contentType: "Audit.Exchange", status: "enabled", webhook: null });

    const again = await feed.start("Audit.Exchange");
    expect(again.status).toBe(400);
    expect(again.json).toEqual({ error: { code: "AF20024", message: "The subscription is already enabled. No property change." } });

    expect((await feed.subscriptions()).json).toEqual([{ contentType: "Audit.Exchange", status: "enabled", webhook: null }]);
    const stopped = await feed.stop("Audit.Exchange");
    expect(stopped.status).toBe(200);
    expect(stopped.text).toBe("");
    expect(emulator.tenant(DEMO_TENANT).subscriptions()["Audit.Exchange"]).toBe("disabled");
  });

  it("should throttle a restart within 15 minutes of the last start, then serve only content from the restart onward", async () => {
    await feed.start("Audit.SharePoint");
    await feed.stop("Audit.SharePoint");
    const early = await feed.start("Audit.SharePoint");
    expect(early.status).toBe(429);
    expect(errorCode(early)).toBe("AF429");
    expect(Number(early.headers["retry-after"])).toBeGreaterThan(0);

    emulator.clock.advance(15 * 60_000);
    const restartedAt = emulator.clock.now();
    expect((await feed.start("Audit.SharePoint")).status).toBe(200);
    expect((await feed.content("Audit.SharePoint")).json).toEqual([]);
    emulator.clock.advance(2 * 3_600_000);
    const { descriptors } = await feed.listAll("Audit.SharePoint");
    expect(descriptors.length).toBeGreaterThan(0);
    for (const descriptor of descriptors) expect(Date.parse(descriptor.contentCreated)).toBeGreaterThanOrEqual(restartedAt.getTime());
  });

  it("should answer AF20022 for listing or fetching a content type without an enabled subscription, and for stopping one that never existed", async () => {
    const listing = await feed.content("Audit.General");
    expect(listing.status).toBe(400);
    expect(errorCode(listing)).toBe("AF20022");
    expect(errorCode(await feed.stop("Audit.General"))).toBe("AF20022");
    const fetch = await feed.call(`${feed.root}/audit/20260303115500000000000$20260303120000000000000$audit_general$Audit_General$na0001`);
    expect(errorCode(fetch)).toBe("AF20022");
  });

  it("should answer 401 with the ASP.NET body for a missing or invalid token", async () => {
    for (const client of [new FeedClient(emulator, DEMO_TENANT, undefined), new FeedClient(emulator, DEMO_TENANT, "not-a-jwt")]) {
      const answer = await client.subscriptions();
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual({ Message: "Authorization has been denied for this request." });
      expect(answer.headers["www-authenticate"]).toBe("Bearer");
    }
    const unauthenticated = emulator.requests.filter((r) => r.status === 401);
    expect(unauthenticated.map((r) => r.hadBearer)).toEqual([false, true]);
  });

  it("should answer AF20010 when the token's tenant is not the tenant in the URL", async () => {
    const token = await tokenFor(emulator, OTHER_TENANT, other.clientId, "s3cret");
    const answer = await new FeedClient(emulator, DEMO_TENANT, token).subscriptions();
    expect(answer.status).toBe(403);
    expect(errorCode(answer)).toBe("AF20010");
    expect((answer.json as { error: { message: string } }).error.message).toContain(OTHER_TENANT);
  });

  it("should answer AF10001 naming ActivityFeed.ReadDlp for DLP.All without that role", async () => {
    const client = new FeedClient(emulator, OTHER_TENANT, await tokenFor(emulator, OTHER_TENANT, other.clientId, "s3cret"));
    expect((await client.start("Audit.Exchange")).status).toBe(200);
    const answer = await client.start("DLP.All");
    expect(answer.status).toBe(401);
    expect(answer.json).toEqual({
      error: {
        code: "AF10001",
        message: "The permission set (ActivityFeed.Read) sent in the request does not include the expected permission ActivityFeed.ReadDlp.",
      },
    });
  });

  it("should answer AF10001 once ActivityFeed.Read is removed from the app, on every operation", async () => {
    other.roles = [];
    try {
      const client = new FeedClient(emulator, OTHER_TENANT, await tokenFor(emulator, OTHER_TENANT, other.clientId, "s3cret"));
      for (const answer of [await client.subscriptions(), await client.content("Audit.Exchange")]) {
        expect(answer.status).toBe(401);
        expect(answer.json).toEqual({
          error: { code: "AF10001", message: "The permission set () sent in the request does not include the expected permission ActivityFeed.Read." },
        });
      }
    } finally {
      other.roles = ["ActivityFeed.Read"];
    }
  });

  it("should answer the odd 400 'Tenant ... does not exist' body when unified audit logging is off", async () => {
    const client = new FeedClient(emulator, QUIET_TENANT, await tokenFor(emulator, QUIET_TENANT, quiet.clientId, "s3cret"));
    const answer = await client.call(`${client.root}/subscriptions/start?contentType=Audit.General&PublisherIdentifier=${QUIET_TENANT}`, "POST");
    expect(answer.status).toBe(400);
    const { code, message } = (answer.json as { error: { code: string; message: string } }).error;
    expect(code).toMatch(
      /^StartSubscription \[CorrId=[0-9a-f-]{36}\]\[TenantId=0d0d0d0d-2222-4333-8444-555555555555,ContentType=Audit\.General,ApplicationId=0d0d0d0d-0000-4000-8000-00000000000a,PublisherId=0d0d0d0d-2222-4333-8444-555555555555\]\[AppId$/,
    );
    expect(message).toMatch(
      /^=0d0d0d0d-0000-4000-8000-00000000000a\] failed\. Exception: Microsoft\.Office\.Compliance\.Audit\.DataServiceException: Tenant 0d0d0d0d-2222-4333-8444-555555555555 does not exist\.\r\n {3}at /,
    );
  });

  it("should send the virtual clock in the Date header", async () => {
    const before = await feed.subscriptions();
    expect(before.headers["date"]).toBe(emulator.clock.now().toUTCString());
    emulator.clock.set(new Date(FIXED_NOW.getTime() + 3 * 86_400_000));
    const after = await feed.subscriptions();
    expect(after.headers["date"]).toBe(new Date(FIXED_NOW.getTime() + 3 * 86_400_000).toUTCString());
  });

  it("should record every request with its operation, status, tenant and PublisherIdentifier", async () => {
    await feed.call(`${feed.root}/subscriptions/list?PublisherIdentifier=${DEMO_TENANT}`);
    const last = emulator.requests.at(-1);
    expect(last).toMatchObject({
      method: "GET",
      op: "list-subscriptions",
      status: 200,
      hadBearer: true,
      tenantId: DEMO_TENANT,
      publisherIdentifier: DEMO_TENANT,
    });
  });
});
