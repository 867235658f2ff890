import { StorageSharedKeyCredential } from "@azure/storage-blob";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { AzureBlobStateStore } from "../../../collector/src/state/azblob/azblob-store.ts";
import type { BlobCommit } from "../../../collector/src/state/store.ts";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite, type Azurite } from "../../fixtures/azurite.ts";

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

/**
 * The lease of the Blob store when its background renewals could not run: a process held up longer than the lease's
 * trust window (a long garbage collection under millions of ids, a busy event loop, a slow service) must ask the
 * service before it writes, and keep going when the service still vouches for the lease (the bench's writer lost it
 * for no reason), yet stop when another run took the state meanwhile.
 */
describe("AzureBlobStateStore lease after a stall", () => {
  let azurite: Azurite;
  const opened: AzureBlobStateStore[] = [];

  async function openStore(container: string): Promise<AzureBlobStateStore> {
    const store = new AzureBlobStateStore({
      accountUrl: azurite.accountUrl,
      container,
      prefix: "",
      credential: new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
      dedupeHorizonMs: HOUR,
    });
    opened.push(store);
    await store.open();
    return store;
  }

  /** What a process sees when it resumes after `ms` without running: no renewal since, by its own clock. */
  function stallFor(ms: number): void {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + ms);
  }

  beforeAll(async () => {
    azurite = await startAzurite();
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const store of opened.splice(0)) await store.close().catch(() => undefined);
  });
  afterAll(() => azurite.close());

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
