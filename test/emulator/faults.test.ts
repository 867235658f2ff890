import { isUtf8 } from "node:buffer";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord, ContentDescriptor } from "../../collector/src/source/content.ts";
import type { Emulator, FaultOptions, TenantOptions } from "../../emulator/src/index.ts";
import { apiTime, errorCode, FeedClient, FIXED_NOW, startTrusted, tokenFor } from "./helpers.ts";

const HOUR = 3_600_000;

function tenant(tenantId: string, clientId: string, faults: FaultOptions, extra: Partial<TenantOptions> = {}): TenantOptions {
  return {
    tenantId,
    apps: [{ tenantId, clientId, secrets: ["s3cret"], certificatePems: [], federatedCredentials: [], roles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp"] }],
    eventsPerHour: { "Audit.Exchange": 600 },
    recordsPerBlob: 20,
    subscribed: ["Audit.Exchange"],
    faults,
    ...extra,
  };
}

const TENANTS = {
  messy: "10000000-0000-4000-8000-000000000001",
  transient: "10000000-0000-4000-8000-000000000002",
  throttled: "10000000-0000-4000-8000-000000000003",
  budget: "10000000-0000-4000-8000-000000000004",
  slow: "10000000-0000-4000-8000-000000000005",
  delayed: "10000000-0000-4000-8000-000000000006",
  inOrder: "10000000-0000-4000-8000-000000000007",
  malformed: "10000000-0000-4000-8000-000000000008",
} as const;

describe("faults", () => {
  let emulator: Emulator;
  const feeds = new Map<string, FeedClient>();
  const feed = (tenantId: string) => feeds.get(tenantId) as FeedClient;

  beforeAll(async () => {
    const clientId = (n: number) => `20000000-0000-4000-8000-00000000000${n}`;
    emulator = await startTrusted({
      pageSize: 1000,
      tenants: [
        tenant(TENANTS.messy, clientId(1), {
          lateBlobRate: 0.3,
          lateBlobDelayMinutes: 60,
          duplicateRecordRate: 0.2,
          expiredBlobRate: 0.2,
          poisonContentUri: "https://poison.invalid",
        }),
        tenant(TENANTS.transient, clientId(2), { transientErrorRate: 1 }),
        tenant(TENANTS.throttled, clientId(3), { throttleRate: 1 }),
        tenant(TENANTS.budget, clientId(4), {}, { requestsPerMinute: 3 }),
        tenant(TENANTS.slow, clientId(5), { slowResponseMs: 2000 }),
        tenant(TENANTS.delayed, clientId(6), { firstDataDelayMinutes: 720 }, { subscribed: [] }),
        tenant(TENANTS.inOrder, clientId(7), { outOfOrder: false }),
        tenant(TENANTS.malformed, clientId(8), { malformedBlobRate: 0.5 }),
      ],
    });
    let n = 1;
    for (const tenantId of Object.values(TENANTS)) {
      feeds.set(tenantId, new FeedClient(emulator, tenantId, await tokenFor(emulator, tenantId, clientId(n), "s3cret")));
      n += 1;
    }
  });
  afterAll(() => emulator.close());

  it("should list late blobs only once they are available, after blobs with a later contentCreated", async () => {
    const window = { startTime: apiTime(new Date(FIXED_NOW.getTime() - 3 * HOUR)), endTime: apiTime(FIXED_NOW) };
    const before = (await feed(TENANTS.messy).listAll("Audit.Exchange", window)).descriptors;
    const newest = Math.max(...before.map((d) => Date.parse(d.contentCreated)));
    emulator.clock.advance(HOUR);
    try {
      const after = (await feed(TENANTS.messy).listAll("Audit.Exchange", window)).descriptors;
      const seen = new Set(before.map((d) => d.contentId));
      const late = after.filter((d) => !seen.has(d.contentId));
      expect(late.length).toBeGreaterThan(0);
      expect(late.some((d) => Date.parse(d.contentCreated) < newest)).toBe(true);
      // Listing order is availability order: the late arrivals come after what was already listable.
      expect(after.slice(0, before.length).map((d) => d.contentId)).toEqual(before.map((d) => d.contentId));
    } finally {
      emulator.clock.set(FIXED_NOW);
    }
  });

  it("should carry some records in two blobs, expire some blobs early, and point some contentUris at the poisoned host", async () => {
    const window = { startTime: apiTime(new Date(FIXED_NOW.getTime() - 4 * HOUR)), endTime: apiTime(FIXED_NOW) };
    const { descriptors } = await feed(TENANTS.messy).listAll("Audit.Exchange", window);
    const poisoned = descriptors.filter((d) => d.contentUri.startsWith("https://poison.invalid/"));
    expect(poisoned.length).toBeGreaterThan(0);
    expect(poisoned[0]?.contentUri).toBe(`https://poison.invalid/api/v1.0/${TENANTS.messy}/activity/feed/audit/${poisoned[0]?.contentId ?? ""}`);

    const seenIn = new Map<string, number>();
    let expired = 0;
    for (const descriptor of descriptors) {
      const answer = await feed(TENANTS.messy).call(`${feed(TENANTS.messy).root}/audit/${descriptor.contentId}`);
      if (answer.status === 400) {
        expect(errorCode(answer)).toBe("AF20051");
        expect(Date.parse(descriptor.contentExpiration)).toBeLessThanOrEqual(FIXED_NOW.getTime());
        expired += 1;
        continue;
      }
      for (const record of answer.json as AuditRecord[]) seenIn.set(record.Id, (seenIn.get(record.Id) ?? 0) + 1);
    }
    expect(expired).toBeGreaterThan(0);
    expect([...seenIn.values()].some((count) => count > 1)).toBe(true);
  });

  it("issue 7 item 7: should break the bodies of malformed blobs in every kind, the same way on every fetch", async () => {
    const client = feed(TENANTS.malformed);
    const { descriptors } = await client.listAll("Audit.Exchange", {
      startTime: apiTime(new Date(FIXED_NOW.getTime() - 6 * HOUR)),
      endTime: apiTime(FIXED_NOW),
    });
    const kinds = new Map<string, number>();
    const count = (kind: string): void => void kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    for (const descriptor of descriptors) {
      const { status, body } = await client.bytes(`${client.root}/audit/${descriptor.contentId}`);
      expect(status).toBe(200);
      expect((await client.bytes(`${client.root}/audit/${descriptor.contentId}`)).body.equals(body)).toBe(true);
      if (!isUtf8(body)) {
        count("invalid-utf8");
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch {
        expect(body.toString("utf8").endsWith("]")).toBe(false);
        count("truncated");
        continue;
      }
      if (!Array.isArray(parsed)) {
        expect(Array.isArray((parsed as { value?: unknown }).value)).toBe(true);
        count("not-array");
      } else count((parsed as AuditRecord[]).some((record) => record.Id === undefined) ? "missing-id" : "healthy");
    }
    expect([...kinds.keys()].sort()).toEqual(["healthy", "invalid-utf8", "missing-id", "not-array", "truncated"]);
    // Ground truth leaves out what a collector cannot read, and counts the records it delivers without an Id.
    const truth = emulator
      .tenant(TENANTS.malformed)
      .groundTruth({ from: new Date(FIXED_NOW.getTime() - 6 * HOUR), to: FIXED_NOW, contentTypes: ["Audit.Exchange"] });
    expect(truth.withoutId).toBe(kinds.get("missing-id"));
  });

  it("should put records out of order within blobs by default, and in order when outOfOrder is false", async () => {
    const sorted = async (tenantId: string) => {
      const { descriptors } = await feed(tenantId).listAll("Audit.Exchange", {
        startTime: apiTime(new Date(FIXED_NOW.getTime() - HOUR)),
        endTime: apiTime(FIXED_NOW),
      });
      // By content id, never the contentUri: some point at the poisoned host, which must not be contacted.
      const blobs = await Promise.all(
        descriptors.map(async (d) => (await feed(tenantId).call(`${feed(tenantId).root}/audit/${d.contentId}`)).json as AuditRecord[]),
      );
      const usable = blobs.filter((records) => Array.isArray(records));
      return usable.map((records) => records.every((r, i) => i === 0 || (records[i - 1]?.CreationTime ?? "") <= (r.CreationTime ?? "")));
    };
    expect((await sorted(TENANTS.messy)).some((inOrder) => !inOrder)).toBe(true);
    expect((await sorted(TENANTS.inOrder)).every((inOrder) => inOrder)).toBe(true);
  });

  it("should make a new subscription wait firstDataDelayMinutes for its first blob", async () => {
    const client = feed(TENANTS.delayed);
    expect((await client.start("Audit.Exchange")).status).toBe(200);
    expect(
      (await client.listAll("Audit.Exchange", { startTime: apiTime(new Date(FIXED_NOW.getTime() - 23 * HOUR)), endTime: apiTime(FIXED_NOW) })).descriptors,
    ).toEqual([]);
    emulator.clock.advance(13 * HOUR);
    try {
      const { descriptors } = await client.listAll("Audit.Exchange");
      expect(descriptors.length).toBeGreaterThan(0);
      for (const d of descriptors) expect(Date.parse(d.contentCreated)).toBeGreaterThanOrEqual(FIXED_NOW.getTime() + 12 * HOUR);
    } finally {
      emulator.clock.set(FIXED_NOW);
    }
  });

  it("should answer 500 AF50000 at transientErrorRate 1", async () => {
    const answer = await feed(TENANTS.transient).subscriptions();
    expect(answer.status).toBe(500);
    expect(answer.json).toEqual({ error: { code: "AF50000", message: "An internal error occurred. Retry the request." } });
  });

  it("should answer both AF429 forms at throttleRate 1: 403 without Retry-After and 429 with it", async () => {
    const answers = [];
    for (let i = 0; i < 12; i += 1) answers.push(await feed(TENANTS.throttled).subscriptions());
    const forbidden = answers.filter((a) => a.status === 403);
    const tooMany = answers.filter((a) => a.status === 429);
    expect(forbidden.length + tooMany.length).toBe(12);
    expect(forbidden.length).toBeGreaterThan(0);
    expect(tooMany.length).toBeGreaterThan(0);
    for (const a of forbidden) expect(a.headers["retry-after"]).toBeUndefined();
    for (const a of tooMany) expect(Number(a.headers["retry-after"])).toBeGreaterThan(0);
    expect(forbidden[0]?.json).toEqual({
      error: { code: "AF429", message: "Too many requests. Method=ListSubscriptions, PublisherId=00000000-0000-0000-0000-000000000000" },
    });
  });

  it("should throttle a tenant over its per-minute request budget, naming the PublisherIdentifier", async () => {
    // Stay clear of a wall-clock minute boundary, where the budget resets.
    while (Date.now() % 60_000 > 50_000) await sleep(250);
    const client = feed(TENANTS.budget);
    const url = `${client.root}/subscriptions/content?contentType=Audit.Exchange&PublisherIdentifier=${TENANTS.budget}`;
    const answers = [];
    for (let i = 0; i < 5; i += 1) answers.push(await client.call(url));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 403, 429]);
    expect(answers[3]?.headers["retry-after"]).toBeUndefined();
    expect(Number(answers[4]?.headers["retry-after"])).toBeGreaterThan(0);
    expect(answers[3]?.json).toEqual({ error: { code: "AF429", message: `Too many requests. Method=ListContent, PublisherId=${TENANTS.budget}` } });
  });

  it("should delay responses by slowResponseMs (a client with a shorter headers timeout gives up)", async () => {
    const client = feed(TENANTS.slow);
    await expect(client.call(`${client.root}/subscriptions/list`, "GET", { headersTimeout: 100 })).rejects.toThrow(/timeout/i);
    expect((await client.subscriptions()).status).toBe(200);
  });

  describe("scripted replies", () => {
    it("should answer scripted faults in order, each for its number of times, then behave normally", async () => {
      const client = feed(TENANTS.messy);
      const listing = (await client.content("Audit.Exchange")).json as ContentDescriptor[];
      const uri = `${client.root}/audit/${listing.find((d) => !d.contentUri.startsWith("https://poison"))?.contentId ?? ""}`;
      emulator.script({ op: "fetch", times: 2, reply: "AF50000" });
      emulator.script({ op: "fetch", reply: "AF429-429" });
      emulator.script({ op: "fetch", reply: "AF429-403" });
      emulator.script({ op: "list-content", contentType: "Audit.Exchange", reply: { status: 503, body: { oops: true }, headers: { "x-test": "1" } } });
      emulator.script({ op: "any", reply: "AF20051" });
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await client.call(uri)).status);
      expect(statuses).toEqual([500, 500, 429, 403]);
      const custom = await client.content("Audit.Exchange");
      expect([custom.status, custom.json, custom.headers["x-test"]]).toEqual([503, { oops: true }, "1"]);
      expect(errorCode(await client.call(uri))).toBe("AF20051");
      expect((await client.call(uri)).status).toBe(200);
    });

    it("should hang on 'timeout' and reset the connection on 'reset'", async () => {
      const client = feed(TENANTS.messy);
      emulator.script({ op: "list-subscriptions", reply: "timeout" });
      await expect(client.call(`${client.root}/subscriptions/list`, "GET", { headersTimeout: 200 })).rejects.toThrow(/timeout/i);
      emulator.script({ op: "list-subscriptions", reply: "reset" });
      await expect(client.subscriptions()).rejects.toThrow(/other side closed|socket|reset/i);
      expect((await client.subscriptions()).status).toBe(200);
    });
  });
});
