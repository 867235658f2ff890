import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import { StorageSharedKeyCredential } from "@azure/storage-blob";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { StateConfig } from "../../../collector/src/config/state-location.ts";
import { AzureBlobStateStore } from "../../../collector/src/state/azblob/azblob-store.ts";
import { decodePartition, encodeSections, recordKey } from "../../../collector/src/state/azblob/entries.ts";
import { emptyHead, HEAD_VERSION } from "../../../collector/src/state/azblob/head.ts";
import { MAX_ADDED_KEYS } from "../../../collector/src/state/azblob/partitions.ts";
import type { BlobCommit } from "../../../collector/src/state/store.ts";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite } from "../../fixtures/azurite.ts";
import { pollUntil } from "../../e2e/harness.ts";
import { COMMITS, recordsOf } from "./fixtures/compact-state.ts";

const HOUR = 3_600_000;
const GUID = "5c1f2e3d-0000-4000-8000-0000000000aa";

function blob(contentId: string): BlobCommit {
  const future = "2999-01-01T00:00:00.000Z";
  return {
    contentType: "Audit.Exchange",
    contentId,
    contentExpiration: future,
    keepUntil: future,
    records: [{ id: GUID, creationTime: "2024-05-01T10:15:00" }],
    outcome: "delivered",
  };
}

let azurite: Azurite;
const opened: AzureBlobStateStore[] = [];

beforeAll(async () => {
  azurite = await startAzurite();
});
afterEach(async () => {
  vi.useRealTimers();
  for (const store of opened.splice(0)) await store.close().catch(() => undefined);
});
afterAll(() => azurite.close());

async function openStore(container: string, prefix = ""): Promise<AzureBlobStateStore> {
  const store = new AzureBlobStateStore({
    accountUrl: azurite.accountUrl,
    container,
    prefix,
    credential: new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
    dedupeHorizonMs: HOUR,
  });
  opened.push(store);
  await store.open();
  return store;
}

/**
 * The lease of the Blob store when its background renewals could not run: a process held up longer than the lease's
 * trust window (a long garbage collection under millions of ids, a busy event loop, a slow service) must ask the
 * service before it writes, and keep going when the service still vouches for the lease (the bench's writer lost it
 * for no reason), yet stop when another run took the state meanwhile.
 */
describe("AzureBlobStateStore lease after a stall", () => {
  /** What a process sees when it resumes after `ms` without running: no renewal since, by its own clock. */
  function stallFor(ms: number): void {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + ms);
  }

  it("should renew the lease before its next write and commit, when nobody took the state meanwhile", async () => {
    const container = await azurite.createContainer();
    const store = await openStore(container);
    stallFor(20_000);
    await store.commit({ blobs: [blob("after-stall")], sinkCheckpoint: { offset: 1 }, at: new Date() });
    vi.useRealTimers();
    await store.close();

    const reopened = await openStore(container);
    expect(await reopened.committedBlobs([{ contentId: "after-stall", contentExpiration: "2999-01-01T00:00:00.000Z" }])).toEqual(new Set(["after-stall"]));
    expect((await azurite.readHead(container)).sinkCheckpoint).toEqual({ offset: 1 });
  });

  it("should stop with AF_ERR_STATE_LEASE_LOST, writing nothing, when another run took the state meanwhile", async () => {
    const container = await azurite.createContainer();
    const store = await openStore(container);
    await store.commit({ blobs: [], sinkCheckpoint: { offset: 1 }, at: new Date() });
    await azurite.breakLease(container);
    const intruder = azurite.service.getContainerClient(container).getBlobClient("head.json").getBlobLeaseClient();
    await intruder.acquireLease(15);
    try {
      stallFor(20_000);
      await expect(store.commit({ blobs: [blob("lost")], sinkCheckpoint: { offset: 2 }, at: new Date() })).rejects.toMatchObject({
        code: "AF_ERR_STATE_LEASE_LOST",
        message: expect.stringContaining("the service refused to renew it") as string,
      });
      await expect(store.commit({ blobs: [], at: new Date() })).rejects.toMatchObject({ code: "AF_ERR_STATE_LEASE_LOST" });
    } finally {
      await intruder.releaseLease();
    }
    expect((await azurite.readHead(container)).sinkCheckpoint).toEqual({ offset: 1 });
  });
});

/**
 * A compaction killed between its partition writes and the head that would name them leaves orphaned partition blobs:
 * never read (only the head makes a blob live), and swept by the next run's prune. Killed for real: a process that
 * compacts 200 partitions is SIGKILLed as soon as the first of them appears.
 */
describe("AzureBlobStateStore after a compaction killed mid-way", () => {
  const PREFIX = "tenant/killed";

  async function stateBlobs(container: string): Promise<string[]> {
    const names: string[] = [];
    for await (const item of azurite.service.getContainerClient(container).listBlobsFlat({ prefix: `${PREFIX}/` }))
      names.push(item.name.slice(PREFIX.length + 1));
    return names.filter((name) => name !== "head.json").sort();
  }

  /** Blobs under commits/ and parts/ that the head does not name. */
  async function unreferenced(container: string): Promise<string[]> {
    const head = await azurite.readHead(container, PREFIX);
    const live = new Set([...Object.values(head.partitions).map((ref) => ref.blob), ...head.commits, ...head.garbage]);
    return (await stateBlobs(container)).filter((name) => !live.has(name));
  }

  it("should find every committed entry, sweep the orphans at its prune, and still find every entry after a reopen", async () => {
    const container = await azurite.createContainer();
    const location: StateConfig = {
      kind: "azblob",
      account: AZURITE_ACCOUNT,
      container,
      prefix: PREFIX,
      accountUrl: azurite.accountUrl,
      accountKey: AZURITE_KEY,
    };
    const child = spawn(process.execPath, [join(import.meta.dirname, "fixtures", "compact-state.ts"), JSON.stringify(location)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = once(child, "exit");
    const [line] = (await once(child.stdout, "data")) as [Buffer];
    expect(line.toString()).toBe("committed\n");
    const partitionWritten = await pollUntil(async () => (await stateBlobs(container)).some((name) => name.startsWith("parts/")), 10_000, 5);
    child.kill("SIGKILL");
    await exited;
    expect(partitionWritten).toBe(true);

    const killed = await azurite.readHead(container, PREFIX);
    expect(killed.commits).toHaveLength(COMMITS);
    const orphaned = await unreferenced(container);
    expect(orphaned.length, "the kill landed before the compaction's head write").toBeGreaterThan(0);
    expect(orphaned.every((name) => name.startsWith("parts/"))).toBe(true);

    await azurite.breakLease(container, PREFIX);
    const all = Array.from({ length: COMMITS }, (_, commit) => recordsOf(commit)).flat();
    const blobs = Array.from({ length: COMMITS }, (_, commit) => ({ contentId: `blob-${commit}`, contentExpiration: "2999-01-01T00:00:00.000Z" }));
    const next = await openStore(container, PREFIX);
    expect((await next.deliveredRecords(all)).size).toBe(all.length);
    await next.prune(new Date());
    expect(await unreferenced(container)).toEqual([]);
    expect((await stateBlobs(container)).filter((name) => orphaned.includes(name))).toEqual([]);
    expect((await azurite.readHead(container, PREFIX)).commits).toEqual([]);
    await next.close();

    const reopened = await openStore(container, PREFIX);
    expect((await reopened.deliveredRecords(all)).size).toBe(all.length);
    expect(await reopened.committedBlobs(blobs)).toEqual(new Set(blobs.map((blob) => blob.contentId)));
  });
});

/**
 * A state written before partition blobs were stored sorted (head version 1: each partition blob in the commit blobs'
 * sectioned form) is read as it is, and the partitions a run rewrites take the sorted form. More ids than a partition's
 * additions are held apart (MAX_ADDED_KEYS) go into one hour, so that the fold into the sorted keys is exercised too.
 */
describe("AzureBlobStateStore over a version-1 state", () => {
  const hour = "2024-05-01T10";
  const guidOf = (index: number): string => `00000000-0000-4000-8000-${index.toString(16).padStart(12, "0")}`;

  it("should find the old partition's ids, fold many additions in, and write the partitions it changes sorted", async () => {
    const container = await azurite.createContainer();
    const client = azurite.service.getContainerClient(container);
    const old = Array.from({ length: 300 }, (_, index) => guidOf(1_000_000 + index));
    const keys = Buffer.concat(old.map((id) => recordKey(id)));
    await client
      .getBlockBlobClient("parts/r/2024-05-01T10/0123456789ab-000000")
      .uploadData(encodeSections([{ partition: `r/${hour}`, expiresAt: 4e12, keys }]));
    const head = {
      ...emptyHead(),
      version: 1,
      partitions: { [`r/${hour}`]: { blob: "parts/r/2024-05-01T10/0123456789ab-000000", entries: old.length, expiresAt: 4e12 } },
    };
    await client.getBlockBlobClient("head.json").uploadData(Buffer.from(JSON.stringify(head)));

    const store = await openStore(container);
    const oldRefs = old.map((id) => ({ id, creationTime: `${hour}:05:00` }));
    expect((await store.deliveredRecords(oldRefs)).size).toBe(old.length);
    const fresh = Array.from({ length: MAX_ADDED_KEYS + 5_000 }, (_, index) => ({ id: guidOf(index), creationTime: `${hour}:30:00` }));
    for (let start = 0; start < fresh.length; start += 25_000) {
      const group = fresh.slice(start, start + 25_000);
      expect((await store.deliveredRecords(group)).size).toBe(0);
      await store.commit({ blobs: [], records: group, at: new Date() });
    }
    expect((await store.deliveredRecords([...fresh, ...oldRefs])).size).toBe(fresh.length + old.length);
    await store.close();

    const written = await azurite.readHead(container);
    expect(written.version).toBe(HEAD_VERSION);
    const ref = written.partitions[`r/${hour}`];
    expect(ref?.entries).toBe(fresh.length + old.length);
    const stored = decodePartition(await client.getBlobClient(ref?.blob as string).downloadToBuffer(), "partition");
    expect(stored.size).toBe(fresh.length + old.length);
    const reopened = await openStore(container);
    expect((await reopened.deliveredRecords([...fresh, ...oldRefs, { id: guidOf(999_999), creationTime: `${hour}:30:00` }])).size).toBe(
      fresh.length + old.length,
    );
  });
});
