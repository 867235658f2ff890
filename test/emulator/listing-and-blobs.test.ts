import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord, ContentDescriptor } from "../../collector/src/source/content.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { DEMO_APP, DEMO_TENANT } from "../../emulator/src/index.ts";
import type { Emulator } from "../../emulator/src/index.ts";
import { apiTime, errorCode, FeedClient, FIXED_NOW, startTrusted, tokenFor } from "./helpers.ts";

const HOUR = 3_600_000;
const at = (offsetMs: number) => new Date(FIXED_NOW.getTime() + offsetMs);

describe("content listing and blob retrieval", () => {
  let emulator: Emulator;
  let feed: FeedClient;

  beforeAll(async () => {
    emulator = await startTrusted({
      pageSize: 7,
      tenants: [
        {
          tenantId: DEMO_TENANT,
          apps: [
            {
              tenantId: DEMO_TENANT,
              clientId: DEMO_APP.clientId,
              secrets: [DEMO_APP.secret],
              certificatePems: [],
              federatedCredentials: [],
              roles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp"],
            },
          ],
          eventsPerHour: { "Audit.AzureActiveDirectory": 200, "Audit.Exchange": 200, "Audit.SharePoint": 200, "Audit.General": 200, "DLP.All": 200 },
          recordsPerBlob: 20,
          historyHours: 9 * 24,
          subscribed: [...CONTENT_TYPES],
        },
      ],
    });
    feed = new FeedClient(emulator, DEMO_TENANT, await tokenFor(emulator, DEMO_TENANT, DEMO_APP.clientId, DEMO_APP.secret));
  });
  afterAll(() => emulator.close());

  it("should list the last 24 hours without times, and page through NextPageUri with the window made explicit", async () => {
    const first = await feed.content("Audit.Exchange");
    expect(first.status).toBe(200);
    expect((first.json as unknown[]).length).toBe(7);
    const next = new URL(String(first.headers["nextpageuri"]));
    expect(next.origin).toBe(emulator.managementUrl);
    expect(next.searchParams.get("startTime")).toBe(apiTime(at(-24 * HOUR)).slice(0, 19));
    expect(next.searchParams.get("endTime")).toBe(apiTime(FIXED_NOW).slice(0, 19));
    expect(next.searchParams.get("nextPage")).toMatch(/\S/);

    const { descriptors, pages } = await feed.listAll("Audit.Exchange");
    // 200 events/h at 20 per blob: ten blobs an hour.
    expect(descriptors.length).toBeGreaterThanOrEqual(239);
    expect(descriptors.length).toBeLessThanOrEqual(241);
    expect(pages).toBe(Math.ceil(descriptors.length / 7));
    expect(new Set(descriptors.map((d) => d.contentId)).size).toBe(descriptors.length);
    for (const d of descriptors) {
      expect(Date.parse(d.contentCreated)).toBeGreaterThanOrEqual(at(-24 * HOUR).getTime());
      expect(Date.parse(d.contentCreated)).toBeLessThan(FIXED_NOW.getTime());
      expect(d.contentCreated).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(d.contentUri).toBe(`${feed.root}/audit/${d.contentId}`);
      expect(d.contentId).toMatch(/^\d{23}\$\d{23}\$audit_exchange\$Audit_Exchange\$na\d{4}$/);
    }
  });

  it("should filter half-open on contentCreated", async () => {
    const { descriptors } = await feed.listAll("Audit.SharePoint", { startTime: apiTime(at(-3 * HOUR)), endTime: apiTime(at(-HOUR)) });
    const pivot = descriptors[5] as ContentDescriptor;
    const created = new Date(pivot.contentCreated);
    const from = await feed.listAll("Audit.SharePoint", { startTime: apiTime(created), endTime: apiTime(at(-HOUR)) });
    expect(from.descriptors[0]?.contentId).toBe(pivot.contentId);
    const before = await feed.listAll("Audit.SharePoint", { startTime: apiTime(at(-3 * HOUR)), endTime: apiTime(created) });
    expect(before.descriptors.map((d) => d.contentId)).not.toContain(pivot.contentId);
    expect(before.descriptors.length + from.descriptors.length).toBe(descriptors.length);
  });

  it.each([
    ["YYYY-MM-DD", "2026-03-03", "2026-03-04"],
    ["YYYY-MM-DDTHH:MM", "2026-03-03T12:00", "2026-03-04T12:00"],
    ["YYYY-MM-DDTHH:MM:SS", "2026-03-03T12:00:00", "2026-03-04T12:00:00"],
    ["a trailing Z", "2026-03-03T12:00:00Z", "2026-03-04T12:00:00Z"],
  ])("should accept times written as %s", async (_format, startTime, endTime) => {
    const answer = await feed.content("Audit.General", { startTime, endTime });
    expect(answer.status).toBe(200);
    expect((answer.json as unknown[]).length).toBe(7);
  });

  it.each([
    ["only a start time", `startTime=${apiTime(at(-HOUR))}`, "AF20030"],
    ["a window over 24 hours", `startTime=${apiTime(at(-25 * HOUR))}&endTime=${apiTime(FIXED_NOW)}`, "AF20055"],
    ["a start more than 7 days back", `startTime=${apiTime(at(-7 * 24 * HOUR - 60_000))}&endTime=${apiTime(at(-7 * 24 * HOUR + HOUR))}`, "AF20055"],
    ["a start after the end", `startTime=${apiTime(at(-HOUR))}&endTime=${apiTime(at(-2 * HOUR))}`, "AF20055"],
    ["an unparsable time", "startTime=yesterday&endTime=today", "AF20002"],
    ["an unknown nextPage token", `startTime=${apiTime(at(-2 * HOUR))}&endTime=${apiTime(FIXED_NOW)}&nextPage=bogus`, "AF20031"],
  ])("should answer 400 for %s", async (_case, window, code) => {
    const answer = await feed.call(`${feed.root}/subscriptions/content?contentType=Audit.Exchange&${window}`);
    expect(answer.status).toBe(400);
    expect(errorCode(answer)).toBe(code);
  });

  it("should document the window rule in the AF20055 body", async () => {
    const answer = await feed.content("Audit.Exchange", { startTime: apiTime(at(-30 * HOUR)), endTime: apiTime(FIXED_NOW) });
    expect(answer.json).toEqual({
      error: {
        code: "AF20055",
        message:
          "Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time no more than 7 days in the past and start time should be earlier than end time.",
      },
    });
  });

  it("should answer AF20001 and AF20020 for a missing or unknown content type", async () => {
    expect(errorCode(await feed.call(`${feed.root}/subscriptions/content`))).toBe("AF20001");
    expect(errorCode(await feed.content("Audit.Teams"))).toBe("AF20020");
  });

  it.each(CONTENT_TYPES.map((type) => [type]))("should return %s blobs as JSON arrays of records with the real common schema", async (contentType) => {
    const listing = await feed.content(contentType);
    const descriptor = (listing.json as ContentDescriptor[])[0] as ContentDescriptor;
    const blob = await feed.call(descriptor.contentUri);
    expect(blob.status).toBe(200);
    expect(blob.headers["content-type"]).toBe("application/json; charset=utf-8");
    const records = blob.json as AuditRecord[];
    expect(records.length).toBeGreaterThanOrEqual(10);
    expect(records.length).toBeLessThanOrEqual(30);
    for (const record of records) {
      expect(record.Id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(record.CreationTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/);
      expect(Date.parse(`${record.CreationTime ?? ""}Z`)).toBeLessThan(Date.parse(descriptor.contentCreated));
      expect(record).toMatchObject({ OrganizationId: DEMO_TENANT, Version: 1 });
      expect(typeof record.RecordType).toBe("number");
      for (const field of ["Operation", "UserKey", "UserId", "Workload"]) expect(typeof record[field]).toBe("string");
      expect(typeof record["UserType"]).toBe("number");
      if (contentType === "DLP.All") {
        expect(record["UserKey"]).toBe("DlpAgent");
        expect(["DlpRuleMatch", "DlpRuleUndo", "DlpInfo"]).toContain(record["Operation"]);
        expect([11, 13]).toContain(record.RecordType);
      }
    }
  });

  it("should deliver numbers as strings in some records", async () => {
    const { descriptors } = await feed.listAll("Audit.Exchange", { startTime: apiTime(at(-2 * HOUR)), endTime: apiTime(FIXED_NOW) });
    const records = (await Promise.all(descriptors.map(async (d) => (await feed.call(d.contentUri)).json as AuditRecord[]))).flat();
    expect(records.some((r) => typeof r["LogonType"] === "string" || typeof r["OperationCount"] === "string")).toBe(true);
  });

  it("should answer AF20050 for a well-formed content id that names no blob, and AF20052 for a malformed one", async () => {
    const missing = await feed.call(`${feed.root}/audit/20260304115500000000000$20260304120000001000000$audit_exchange$Audit_Exchange$na0001`);
    expect(missing.status).toBe(404);
    expect(errorCode(missing)).toBe("AF20050");
    const malformed = await feed.call(`${feed.root}/audit/not-a-content-id`);
    expect(malformed.status).toBe(400);
    expect(errorCode(malformed)).toBe("AF20052");
  });

  it("should expire blobs seven days after contentCreated", async () => {
    const { descriptors } = await feed.listAll("Audit.Exchange", { startTime: apiTime(at(-2 * HOUR)), endTime: apiTime(at(-HOUR)) });
    const descriptor = descriptors[0] as ContentDescriptor;
    expect(Date.parse(descriptor.contentExpiration) - Date.parse(descriptor.contentCreated)).toBe(7 * 24 * HOUR);
    emulator.clock.set(new Date(Date.parse(descriptor.contentExpiration)));
    try {
      const expired = await feed.call(descriptor.contentUri);
      expect(expired.status).toBe(400);
      expect(expired.json).toEqual({
        error: {
          code: "AF20051",
          message: `Content requested with the key ${descriptor.contentId} has already expired. Content older than 7 days cannot be retrieved.`,
        },
      });
    } finally {
      emulator.clock.set(FIXED_NOW);
    }
  });
});
