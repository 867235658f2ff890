import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { StateConfig } from "../../../collector/src/config/state-location.ts";
import type { AuditfeedError } from "../../../collector/src/errors.ts";
import { createStateStore } from "../../../collector/src/state/index.ts";
import {
  EMPTY_CONTENT_TYPE_STATS,
  EMPTY_RUN_STATS,
  type BlobCommit,
  type BlobRef,
  type FailedBlob,
  type RecordRef,
  type StateStore,
} from "../../../collector/src/state/store.ts";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite } from "../../fixtures/azurite.ts";
import { pollUntil } from "../../e2e/harness.ts";

/**
 * The StateStore contract, run on every store: the SQLite file and Azure Blob storage (on Azurite, started here).
 * What differs by design is only how long a killed holder keeps the state: the kernel frees the SQLite lock at once,
 * a Blob lease expires by itself within 15 seconds.
 */
const HOUR = 3_600_000;
const FUTURE = "2999-01-01T00:00:00.000Z";
const GUID_A = "5c1f2e3d-0000-4000-8000-00000000000a";
const GUID_B = "5c1f2e3d-0000-4000-8000-00000000000b";
const CREATED = "2024-05-01T10:15:00";

const ref = (id: string, creationTime: string | null = CREATED): RecordRef => ({ id, creationTime });
const refs = (...ids: string[]): RecordRef[] => ids.map((id) => ref(id));
const blobRefs = (...contentIds: string[]): BlobRef[] => contentIds.map((contentId) => ({ contentId, contentExpiration: FUTURE }));

function blob(contentId: string, recordIds: string[], keepUntil = FUTURE, contentExpiration = keepUntil): BlobCommit {
  return { contentType: "Audit.Exchange", contentId, contentExpiration, keepUntil, records: refs(...recordIds), outcome: "delivered" };
}

function failed(contentId: string, failures: number, keepUntil = FUTURE): FailedBlob {
  return {
    descriptor: {
      contentType: "Audit.General",
      contentId,
      contentUri: `https://manage.office.com/api/v1.0/t/activity/feed/audit/${contentId}`,
      contentCreated: "2024-05-01T00:00:00.000Z",
      contentExpiration: "2024-05-08T00:00:00.000Z",
    },
    code: "AF_ERR_BLOB_MALFORMED",
    message: `Blob ${contentId} is malformed.`,
    failures,
    firstFailedAt: "2024-05-01T00:05:00.000Z",
    lastFailedAt: "2024-05-01T00:15:00.000Z",
    quarantinedAt: failures >= 3 ? "2024-05-01T00:15:00.000Z" : null,
    keepUntil,
  };
}

interface Kind {
  readonly name: string;
  /** How long after its holder is SIGKILLed the state opens again. */
  readonly freedWithinMs: number;
  setup(): Promise<void>;
  /** A fresh, empty state location for one test. */
  location(): Promise<StateConfig>;
  teardown(): Promise<void>;
}

let directory: string;
let azurite: Azurite;

const KINDS: Kind[] = [
  {
    name: "SqliteStateStore",
    freedWithinMs: 0,
    setup: () => Promise.resolve(),
    location: () => Promise.resolve({ kind: "sqlite", path: join(mkdtempSync(join(directory, "s-")), "nested", "state.sqlite") }),
    teardown: () => Promise.resolve(),
  },
  {
    name: "AzureBlobStateStore",
    freedWithinMs: 20_000,
    setup: async () => {
      azurite = await startAzurite();
    },
    location: async () => ({
      kind: "azblob",
      account: AZURITE_ACCOUNT,
      container: await azurite.createContainer(),
      prefix: "tenant/a",
      accountUrl: azurite.accountUrl,
      accountKey: AZURITE_KEY,
    }),
    teardown: () => azurite.close(),
  },
];

beforeAll(() => {
  directory = mkdtempSync(join(tmpdir(), "auditfeed-state-contract-"));
});
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe.each(KINDS)("StateStore contract: $name", (kind) => {
  let location: StateConfig;
  let opened: StateStore[];

  function store(options: { now?: () => Date; at?: StateConfig } = {}): StateStore {
    const created = createStateStore(options.at ?? location, { dedupeHorizonMs: HOUR, now: options.now ?? (() => new Date()) });
    opened.push(created);
    return created;
  }

  beforeAll(() => kind.setup());
  afterAll(() => kind.teardown());
  beforeEach(async () => {
    location = await kind.location();
    opened = [];
  });
  afterEach(async () => {
    for (const each of opened) await each.close().catch(() => undefined);
  });

  it("should start empty", async () => {
    await expect(store().open()).resolves.toEqual({ sinkCheckpoint: null, cursors: {}, stats: EMPTY_RUN_STATS });
  });

  it("should persist blobs, record ids, cursors, the sink checkpoint and the run statistics across a reopen", async () => {
    const first = store();
    await first.open();
    const cursor = { origin: "2024-01-01T00:00:00.000Z", listedThrough: "2024-01-01T01:00:00.000Z", subscriptionStartedAt: null };
    const stats = {
      ...EMPTY_RUN_STATS,
      throttled: 2,
      contentTypes: { "Audit.Exchange": { ...EMPTY_CONTENT_TYPE_STATS, records: 7, newestDelivered: "2024-01-01T00:59:00.000Z" } },
    };
    await first.commit({
      blobs: [blob("c1", [GUID_A, "not-a-guid"])],
      sinkCheckpoint: { segment: 1, offset: 42 },
      cursors: { "Audit.Exchange": cursor },
      stats,
      at: new Date(),
    });
    // A commit without stats leaves them as they are.
    await first.commit({ blobs: [], at: new Date() });
    await first.close();

    const second = store();
    await expect(second.open()).resolves.toEqual({ sinkCheckpoint: { segment: 1, offset: 42 }, cursors: { "Audit.Exchange": cursor }, stats });
    expect(await second.committedBlobs(blobRefs("c1", "c2"))).toEqual(new Set(["c1"]));
    expect(await second.deliveredRecords(refs(GUID_A, GUID_B, "not-a-guid", "other"))).toEqual(new Set([GUID_A, "not-a-guid"]));
  });

  it("should find a record by its CreationTime partition, including records without one", async () => {
    const first = store();
    await first.open();
    const records = [ref(GUID_A, "2024-05-01T10:15:00"), ref(GUID_B, "2024-05-03T23:59:59.123Z"), ref("no-time", null), ref("odd-time", "yesterday")];
    await first.commit({
      blobs: [{ contentType: "DLP.All", contentId: "c1", contentExpiration: FUTURE, keepUntil: FUTURE, records, outcome: "delivered" }],
      at: new Date(),
    });
    await first.close();
    const second = store();
    await second.open();
    expect(await second.deliveredRecords(records)).toEqual(new Set([GUID_A, GUID_B, "no-time", "odd-time"]));
    expect(await second.deliveredRecords([ref("5c1f2e3d-0000-4000-8000-0000000000ff", "2024-05-01T10:15:00")])).toEqual(new Set());
  });

  it("should index the records of a blob's committed parts and keep the blob out of the ledger until it completes", async () => {
    const first = store();
    await first.open();
    await first.commit({ blobs: [], records: refs(GUID_A, "part-1"), sinkCheckpoint: { segment: 1, offset: 5 }, at: new Date() });
    expect(await first.committedBlobs(blobRefs("huge"))).toEqual(new Set());
    expect(await first.deliveredRecords(refs(GUID_A, GUID_B, "part-1"))).toEqual(new Set([GUID_A, "part-1"]));
    await first.close();
    const second = store();
    expect((await second.open()).sinkCheckpoint).toEqual({ segment: 1, offset: 5 });
    expect(await second.deliveredRecords(refs(GUID_A, GUID_B, "part-1"))).toEqual(new Set([GUID_A, "part-1"]));
    expect(await second.committedBlobs(blobRefs("huge"))).toEqual(new Set());
    await second.commit({ blobs: [blob("huge", [GUID_B])], at: new Date() });
    expect(await second.committedBlobs(blobRefs("huge"))).toEqual(new Set(["huge"]));
    expect(await second.deliveredRecords(refs(GUID_A, GUID_B, "part-1"))).toEqual(new Set([GUID_A, GUID_B, "part-1"]));
  });

  it("should leave nothing of a commit that fails midway", async () => {
    const first = store();
    await first.open();
    await first.commit({ blobs: [], sinkCheckpoint: { segment: 1, offset: 10 }, at: new Date() });
    const failing = first.commit({
      blobs: [blob("c1", [GUID_A]), blob("c2", [GUID_B], "not a date")],
      sinkCheckpoint: { segment: 1, offset: 99 },
      at: new Date(),
    });
    await expect(failing).rejects.toThrow(/blob c2 has keepUntil "not a date"/);
    expect(await first.committedBlobs(blobRefs("c1", "c2"))).toEqual(new Set());
    expect(await first.deliveredRecords(refs(GUID_A, GUID_B))).toEqual(new Set());
    await first.close();
    await expect(store().open()).resolves.toMatchObject({ sinkCheckpoint: { segment: 1, offset: 10 } });
  });

  it("should keep the checkpoint when a commit omits it and clear it when the commit says null", async () => {
    const first = store();
    await first.open();
    await first.commit({ blobs: [], sinkCheckpoint: { segment: 2, offset: 5 }, at: new Date() });
    await first.commit({ blobs: [blob("c1", [])], at: new Date() });
    await first.close();
    const reopened = store();
    expect((await reopened.open()).sinkCheckpoint).toEqual({ segment: 2, offset: 5 });
    await reopened.commit({ blobs: [], sinkCheckpoint: null, at: new Date() });
    await reopened.close();
    expect((await store().open()).sinkCheckpoint).toBeNull();
  });

  it("should dedupe record ids within the horizon and not after it", async () => {
    let now = new Date("2024-05-01T00:00:00.000Z");
    const first = store({ now: () => now });
    await first.open();
    await first.commit({ blobs: [blob("c1", [GUID_A, "x-1"])], at: now });
    now = new Date(now.getTime() + HOUR - 1);
    expect(await first.deliveredRecords(refs(GUID_A, GUID_A.toUpperCase(), "x-1", "X-1"))).toEqual(new Set([GUID_A, GUID_A.toUpperCase(), "x-1"]));
    now = new Date(now.getTime() + 1);
    expect(await first.deliveredRecords(refs(GUID_A, "x-1"))).toEqual(new Set());
  });

  it("should keep an id that only looks like a GUID apart from the GUID it resembles", async () => {
    const first = store();
    await first.open();
    const nearGuid = `${GUID_A.slice(0, 35)}g`;
    await first.commit({ blobs: [blob("c1", [nearGuid])], at: new Date() });
    expect(await first.deliveredRecords(refs(nearGuid, `${GUID_A.slice(0, 35)}0`))).toEqual(new Set([nearGuid]));
  });

  it("should answer large lookups exactly, after many commits and a reopen", async () => {
    const first = store();
    await first.open();
    const ids = Array.from({ length: 1_234 }, (_, i) => `5c1f2e3d-0000-4000-8000-${i.toString(16).padStart(12, "0")}`);
    const kept = ids.filter((_, i) => i % 3 === 0);
    // More commits than a compaction waits for, so both the compacted and the uncompacted paths are read back.
    for (let start = 0, group = 0; start < kept.length; start += 20, group++) {
      await first.commit({ blobs: [blob(`c${group}`, kept.slice(start, start + 20))], sinkCheckpoint: { segment: 1, offset: group }, at: new Date() });
    }
    expect(await first.deliveredRecords(refs(...ids))).toEqual(new Set(kept));
    await first.close();
    const second = store();
    await second.open();
    expect(await second.deliveredRecords(refs(...ids))).toEqual(new Set(kept));
    const listed = Array.from({ length: 1_001 }, (_, i) => (i === 1_000 ? "c1" : `other-${i}`));
    expect(await second.committedBlobs(blobRefs(...listed))).toEqual(new Set(["c1"]));
  });

  it("should prune ledger entries past their expiration and record ids past the horizon", async () => {
    const at = new Date("2024-05-01T00:00:00.000Z");
    const first = store({ now: () => at });
    await first.open();
    await first.commit({ blobs: [blob("soon", [GUID_A], "2024-05-01T00:30:00.000Z"), blob("later", [GUID_B], "2024-05-08T00:00:00.000Z")], at });
    expect(await first.prune(new Date("2024-05-01T00:29:59.999Z"))).toEqual({ blobs: 0, records: 0, failed: 0 });
    expect(await first.prune(new Date("2024-05-01T00:30:00.000Z"))).toEqual({ blobs: 1, records: 0, failed: 0 });
    const listed = [
      { contentId: "soon", contentExpiration: "2024-05-01T00:30:00.000Z" },
      { contentId: "later", contentExpiration: "2024-05-08T00:00:00.000Z" },
    ];
    expect(await first.committedBlobs(listed)).toEqual(new Set(["later"]));
    expect(await first.prune(new Date(at.getTime() + HOUR))).toEqual({ blobs: 0, records: 2, failed: 0 });
    expect(await first.deliveredRecords(refs(GUID_A, GUID_B))).toEqual(new Set());
    await first.close();
    const second = store({ now: () => new Date(at.getTime() + HOUR) });
    await second.open();
    expect(await second.committedBlobs(listed)).toEqual(new Set(["later"]));
  });

  it("issue 7 item 4: should keep a ledger entry until its keepUntil, past its contentExpiration, and find it by the latter", async () => {
    const at = new Date("2024-05-01T00:00:00.000Z");
    const first = store({ now: () => at });
    await first.open();
    // Listed when already expired: the API lists it for 7 days after contentCreated, so the ledger must remember it.
    await first.commit({ blobs: [{ ...blob("expired", [], "2024-05-07T23:00:00.000Z", "2024-04-30T23:00:00.000Z"), outcome: "expired" }], at });
    const listed = [{ contentId: "expired", contentExpiration: "2024-04-30T23:00:00.000Z" }];
    expect(await first.prune(new Date("2024-05-02T00:00:00.000Z"))).toMatchObject({ blobs: 0 });
    await first.close();
    const second = store({ now: () => at });
    await second.open();
    expect(await second.committedBlobs(listed)).toEqual(new Set(["expired"]));
    expect(await second.prune(new Date("2024-05-07T23:00:00.000Z"))).toMatchObject({ blobs: 1 });
    expect(await second.committedBlobs(listed)).toEqual(new Set());
  });

  it("issue 7 item 7: should remember failed blobs across a reopen, replace them by contentId, and forget one once committed", async () => {
    const first = store();
    await first.open();
    await first.commit({ blobs: [], failed: [failed("f1", 1), failed("f2", 1)], at: new Date() });
    await first.commit({ blobs: [], failed: [failed("f1", 2)], at: new Date() });
    await first.close();
    const second = store();
    await second.open();
    expect(await second.failedBlobs()).toEqual([failed("f1", 2), failed("f2", 1)]);
    await second.commit({ blobs: [blob("f2", [GUID_A])], failed: [failed("f1", 3)], at: new Date() });
    expect(await second.failedBlobs()).toEqual([failed("f1", 3)]);
    await second.close();
    const third = store();
    await third.open();
    expect(await third.failedBlobs()).toEqual([failed("f1", 3)]);
  });

  it("should prune failed blobs past their keepUntil", async () => {
    const first = store();
    await first.open();
    await first.commit({ blobs: [], failed: [failed("soon", 3, "2024-05-08T00:00:00.000Z"), failed("later", 3)], at: new Date() });
    expect(await first.prune(new Date("2024-05-08T00:00:00.000Z"))).toMatchObject({ failed: 1 });
    expect((await first.failedBlobs()).map((entry) => entry.descriptor.contentId)).toEqual(["later"]);
  });

  it("should stop counting a ledger entry past its keepUntil once pruned, beside a live one of the same contentExpiration hour, also after a reopen", async () => {
    const at = new Date("2024-05-01T00:00:00.000Z");
    const expiration = "2024-05-01T00:30:00.000Z";
    const first = store({ now: () => at });
    await first.open();
    await first.commit({ blobs: [blob("short", [], "2024-05-02T00:00:00.000Z", expiration), blob("long", [], "2024-05-09T00:00:00.000Z", expiration)], at });
    const listed = [
      { contentId: "short", contentExpiration: expiration },
      { contentId: "long", contentExpiration: expiration },
    ];
    // Until pruned, both count (the clock that decides expiry may not be set yet).
    expect(await first.committedBlobs(listed)).toEqual(new Set(["short", "long"]));
    await first.prune(new Date("2024-05-03T00:00:00.000Z"));
    expect(await first.committedBlobs(listed)).toEqual(new Set(["long"]));
    await first.close();
    const second = store({ now: () => at });
    await second.open();
    expect(await second.committedBlobs(listed)).toEqual(new Set(["long"]));
  });

  it("should keep failed blobs pruned, quarantine marks and run statistics across a prune and a reopen", async () => {
    const stats = { ...EMPTY_RUN_STATS, throttled: 3, contentTypes: { "Audit.General": { ...EMPTY_CONTENT_TYPE_STATS, records: 7, backlog: 1 } } };
    const first = store();
    await first.open();
    await first.commit({ blobs: [], failed: [failed("soon", 3, "2024-05-08T00:00:00.000Z"), failed("later", 3), failed("new", 1)], stats, at: new Date() });
    expect(await first.prune(new Date("2024-05-08T00:00:00.000Z"))).toMatchObject({ failed: 1 });
    await first.close();
    const second = store();
    expect((await second.open()).stats).toEqual(stats);
    expect(await second.failedBlobs()).toEqual([failed("later", 3), failed("new", 1)]);
    expect((await second.failedBlobs()).map((entry) => entry.quarantinedAt)).toEqual(["2024-05-01T00:15:00.000Z", null]);
  });

  it("should refuse a second store while the first holds the state, and open once it closed", async () => {
    const first = store();
    await first.open();
    const error = (await store()
      .open()
      .catch((caught: unknown) => caught)) as AuditfeedError;
    expect(error.code).toBe("AF_ERR_STATE_LOCKED");
    expect(error.message).toMatch(/in use by another auditfeed/);
    await first.close();
    await expect(store().open()).resolves.toEqual({ sinkCheckpoint: null, cursors: {}, stats: EMPTY_RUN_STATS });
  });

  it("should be refused while another process holds the state, and open after that process is SIGKILLed, with what it committed", async () => {
    const child = spawn(process.execPath, [join(import.meta.dirname, "fixtures", "hold-state.ts"), JSON.stringify(location)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(child, "exit");
    const [line] = (await once(child.stdout, "data")) as [Buffer];
    expect(line.toString()).toBe("committed\n");
    await expect(store().open()).rejects.toMatchObject({ code: "AF_ERR_STATE_LOCKED" });

    child.kill("SIGKILL");
    await exited;
    const killedAt = Date.now();
    let reopened: StateStore | undefined;
    // Until the collector has measured the server's clock, the store's clock may read far off (here: past the
    // horizon of what the killed run committed); what was committed must survive that.
    let opening = true;
    const clock = (): Date => new Date(Date.now() + (opening ? 2 * HOUR : 0));
    const freed = await pollUntil(
      async () => {
        const attempt = store({ now: clock });
        const ok = await attempt.open().then(
          () => true,
          (error: unknown) => {
            if ((error as AuditfeedError).code !== "AF_ERR_STATE_LOCKED") throw error;
            return false;
          },
        );
        if (ok) reopened = attempt;
        return ok;
      },
      kind.freedWithinMs + 10_000,
      500,
    );
    expect(freed, "the state opened again").toBe(true);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(kind.freedWithinMs + 2_000);
    opening = false;
    expect(await reopened?.committedBlobs(blobRefs("held"))).toEqual(new Set(["held"]));
    expect(await reopened?.deliveredRecords([ref("r", "2024-01-01T00:00:00")])).toEqual(new Set(["r"]));
  });
});
