import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord, ContentDescriptor } from "../../collector/src/source/content.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { Timeline } from "../../emulator/src/content/timeline.ts";
import { DEMO_APP, DEMO_TENANT, digestRecordIds } from "../../emulator/src/index.ts";
import type { Emulator, EmulatorOptions } from "../../emulator/src/index.ts";
import { apiTime, FeedClient, FIXED_NOW, startTrusted, tokenFor } from "./helpers.ts";

const HOUR = 3_600_000;

function options(seed: number): EmulatorOptions {
  return {
    seed,
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
        eventsPerHour: { "Audit.AzureActiveDirectory": 90, "Audit.Exchange": 120, "Audit.SharePoint": 60, "Audit.General": 30, "DLP.All": 15 },
        recordsPerBlob: 15,
        historyHours: 60,
        subscribed: [...CONTENT_TYPES],
        faults: { lateBlobRate: 0.2, lateBlobDelayMinutes: 45, duplicateRecordRate: 0.1, expiredBlobRate: 0.1, poisonContentUri: "https://poison.invalid" },
      },
    ],
  };
}

/** Lists every window of [from, to) in 24-hour steps for every content type, and fetches every blob it may fetch. */
async function collectEverything(feed: FeedClient, from: Date, to: Date): Promise<{ ids: Set<string>; records: number }> {
  const ids = new Set<string>();
  let records = 0;
  for (const contentType of CONTENT_TYPES) {
    for (let start = from.getTime(); start < to.getTime(); start += 24 * HOUR) {
      const window = { startTime: apiTime(new Date(start)), endTime: apiTime(new Date(Math.min(start + 24 * HOUR, to.getTime()))) };
      const { descriptors } = await feed.listAll(contentType, window);
      for (const descriptor of descriptors) {
        if (!descriptor.contentUri.startsWith(feed.root)) continue;
        const answer = await feed.call(descriptor.contentUri);
        if (answer.status !== 200) continue;
        for (const record of answer.json as AuditRecord[]) {
          ids.add(record.Id);
          records += 1;
        }
      }
    }
  }
  return { ids, records };
}

describe("ground truth", () => {
  let emulator: Emulator;
  let feed: FeedClient;

  beforeAll(async () => {
    emulator = await startTrusted(options(7));
    feed = new FeedClient(emulator, DEMO_TENANT, await tokenFor(emulator, DEMO_TENANT, DEMO_APP.clientId, DEMO_APP.secret));
  });
  afterAll(() => emulator.close());

  it("should equal exactly what listing and fetching everything yields, late, duplicate, expired and poisoned blobs included", async () => {
    const from = new Date(FIXED_NOW.getTime() - 48 * HOUR);
    const collected = await collectEverything(feed, from, FIXED_NOW);
    const truth = emulator.tenant(DEMO_TENANT).groundTruth({ from, to: FIXED_NOW });
    expect(truth.count).toBeGreaterThan(10_000);
    expect(collected.records).toBeGreaterThan(truth.count); // duplicates were delivered too
    expect(truth.ids).toEqual(collected.ids);
    expect(truth.digest).toBe(digestRecordIds(collected.ids));
  });

  it("should grow as late blobs become available, and filter by content type", () => {
    const from = new Date(FIXED_NOW.getTime() - 6 * HOUR);
    const before = emulator.tenant(DEMO_TENANT).groundTruth({ from, to: FIXED_NOW, contentTypes: ["Audit.Exchange"] });
    emulator.clock.advance(HOUR);
    try {
      const after = emulator.tenant(DEMO_TENANT).groundTruth({ from, to: FIXED_NOW, contentTypes: ["Audit.Exchange"] });
      expect(after.count).toBeGreaterThan(before.count);
      for (const id of before.ids) expect(after.ids.has(id)).toBe(true);
      const all = emulator.tenant(DEMO_TENANT).groundTruth({ from, to: FIXED_NOW });
      expect(all.count).toBeGreaterThan(after.count);
    } finally {
      emulator.clock.set(FIXED_NOW);
    }
  });

  it("should generate the same blobs and records from the same seed, and different ids from another seed", async () => {
    const twin = await startTrusted(options(7));
    const stranger = await startTrusted(options(8));
    try {
      const query = { from: new Date(FIXED_NOW.getTime() - 24 * HOUR), to: FIXED_NOW };
      const mine = emulator.tenant(DEMO_TENANT).groundTruth(query);
      expect(twin.tenant(DEMO_TENANT).groundTruth(query).digest).toBe(mine.digest);
      const theirs = stranger.tenant(DEMO_TENANT).groundTruth(query);
      expect([...theirs.ids].some((id) => mine.ids.has(id))).toBe(false);

      const twinFeed = new FeedClient(twin, DEMO_TENANT, await tokenFor(twin, DEMO_TENANT, DEMO_APP.clientId, DEMO_APP.secret));
      const listing = (await feed.content("Audit.SharePoint")).json as ContentDescriptor[];
      const twinListing = (await twinFeed.content("Audit.SharePoint")).json as ContentDescriptor[];
      expect(twinListing.map((d) => d.contentId)).toEqual(listing.map((d) => d.contentId));
      const id = listing[0]?.contentId ?? "";
      expect((await twinFeed.call(`${twinFeed.root}/audit/${id}`)).text).toBe((await feed.call(`${feed.root}/audit/${id}`)).text);
    } finally {
      await Promise.all([twin.close(), stranger.close()]);
    }
  });
});

describe("timeline", () => {
  it("should give every record of a large timeline a distinct id", () => {
    const timeline = new Timeline({
      contentType: "Audit.Exchange",
      key: 42,
      originMs: 0,
      eventsPerHour: 100_000,
      recordsPerBlob: 100,
      lateBlobRate: 0,
      lateBlobDelayMs: 0,
      duplicateRecordRate: 0,
      outOfOrder: true,
      expiredBlobRate: 0,
      poisoned: false,
      malformedBlobRate: 0,
      malformedBlobKinds: [],
    });
    const ids = new Set<string>();
    let count = 0;
    for (let blob = 0; blob < 3000; blob += 1) {
      for (const ref of timeline.records(blob)) {
        ids.add(timeline.recordId(ref));
        count += 1;
      }
    }
    expect(count).toBeGreaterThan(250_000);
    expect(ids.size).toBe(count);
  });

  it("should list blobs with strictly increasing contentCreated and find each by its creation time", () => {
    const timeline = new Timeline({
      contentType: "Audit.General",
      key: 9,
      originMs: 1_000_000,
      eventsPerHour: 3600,
      recordsPerBlob: 10,
      lateBlobRate: 0,
      lateBlobDelayMs: 0,
      duplicateRecordRate: 0,
      outOfOrder: true,
      expiredBlobRate: 0,
      poisoned: false,
      malformedBlobRate: 0,
      malformedBlobKinds: [],
    });
    const blobs = [...timeline.listable(1_000_000, 1_000_000 + HOUR, 1_000_000 + HOUR)];
    expect(blobs.length).toBe(360);
    blobs.forEach((blob, i) => {
      expect(blob.index).toBe(i);
      if (i > 0) expect(blob.createdMs).toBeGreaterThan(blobs[i - 1]?.createdMs ?? Infinity);
      expect(timeline.indexCreatedAt(blob.createdMs)).toBe(i);
    });
  });
});
