import { afterAll, describe, expect, it } from "vitest";
import type { AzblobSinkConfig } from "../../../collector/src/sinks/azblob/index.ts";
import { checkSink, createSink } from "../../../collector/src/sinks/registry.ts";
import type { Sink, SinkCheckpoint } from "../../../collector/src/sinks/sink.ts";
import type { BlobFolder } from "../../../collector/src/storage/blob-container.ts";
import { archivedIds, readArchive } from "../../fixtures/archive.ts";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from "../../fixtures/azurite.ts";
import { describeSinkContract, outbound } from "./contract.ts";
import { sinkDependencies } from "./fixtures/dependencies.ts";

// Issue 9, item 5: the Azure Blob archive sink, against Azurite: gzip NDJSON per content type and CreationTime hour,
// exactly once (blocks staged by the flush, committed to their blobs after the state commit).

const azurite = await startAzurite();
afterAll(() => azurite.close());
const container = await azurite.createContainer("archive");
let folders = 0;
let folder: BlobFolder = newFolder();

function newFolder(): BlobFolder {
  return { account: AZURITE_ACCOUNT, container, prefix: `tenant-${++folders}`, accountUrl: azurite.accountUrl, accountKey: AZURITE_KEY };
}

function config(): AzblobSinkConfig {
  return { kind: "azblob", folder };
}

function archive(): Promise<Map<string, string>> {
  return readArchive(azurite.service, container, folder.prefix);
}

function deliveredIds(): Promise<string[]> {
  return archivedIds(azurite.service, container, folder.prefix);
}

describeSinkContract({
  kind: "azblob",
  config: config(),
  create: () => createSink(config(), sinkDependencies()),
  delivered: deliveredIds,
  reset: () => {
    folder = newFolder();
    return Promise.resolve();
  },
});

async function firstRun(): Promise<{ sink: Sink; checkpoint: SinkCheckpoint | null }> {
  folder = newFolder();
  const sink = createSink(config(), sinkDependencies());
  await sink.open(null);
  const checkpoint = await sink.flush();
  await sink.committed(checkpoint);
  return { sink, checkpoint };
}

describe("azblob sink", () => {
  it("should archive each content type and CreationTime hour in its own gzip NDJSON blob, readable by any gunzip", async () => {
    const { sink } = await firstRun();
    const records = [
      { id: "a", contentType: "Audit.Exchange" as const, creationTime: "2026-11-20T10:59:59", json: '{"Id":"a"}' },
      { id: "b", contentType: "Audit.Exchange" as const, creationTime: "2026-11-20T11:00:00", json: '{"Id":"b"}' },
      { id: "c", contentType: "DLP.All" as const, creationTime: "2026-11-20T10:15:00Z", json: '{"Id":"c"}' },
      { id: "d", contentType: "DLP.All" as const, creationTime: null, json: '{"Id":"d"}' },
    ];
    await sink.write(records.slice(0, 2));
    await sink.savepoint();
    await sink.write(records.slice(2));
    await sink.committed(await sink.flush());
    // A second flush appends a second gzip member to an hour's blob.
    await sink.write([{ id: "e", contentType: "Audit.Exchange", creationTime: "2026-11-20T10:30:00", json: '{"Id":"e"}' }]);
    await sink.committed(await sink.flush());
    await sink.close();
    expect(Object.fromEntries(await archive())).toEqual({
      "Audit.Exchange/2026/11/20/10.ndjson.gz": '{"Id":"a"}\n{"Id":"e"}\n',
      "Audit.Exchange/2026/11/20/11.ndjson.gz": '{"Id":"b"}\n',
      "DLP.All/2026/11/20/10.ndjson.gz": '{"Id":"c"}\n',
      "DLP.All/undated.ndjson.gz": '{"Id":"d"}\n',
    });
    const properties = await azurite.service
      .getContainerClient(container)
      .getBlobClient(`${folder.prefix}/Audit.Exchange/2026/11/20/10.ndjson.gz`)
      .getProperties();
    expect({ type: properties.contentType, encoding: properties.contentEncoding }).toEqual({ type: "application/x-ndjson", encoding: "gzip" });
  });

  it("should show nothing of a flush until its state commit, and complete a committed flush the process died before finishing", async () => {
    const { sink: crashed } = await firstRun();
    const records = outbound(50);
    await crashed.write(records);
    const checkpoint = await crashed.flush();
    expect(await deliveredIds()).toEqual([]);
    // The state commit of `checkpoint` succeeds, then the process dies before `committed`: the blocks are only staged.
    const restarted = createSink(config(), sinkDependencies());
    await restarted.open(checkpoint);
    expect((await deliveredIds()).sort()).toEqual(records.map((record) => record.id).sort());
    // Reopening again changes nothing: the blocks are committed once.
    const again = createSink(config(), sinkDependencies());
    await again.open(checkpoint);
    expect(await deliveredIds()).toHaveLength(50);
  });

  it("should refuse a state older than the archive, and an existing archive with a new state, changing nothing", async () => {
    const { sink, checkpoint: first } = await firstRun();
    await sink.write(outbound(5));
    await sink.committed(await sink.flush());
    const stale = createSink(config(), sinkDependencies());
    await expect(stale.open(first)).rejects.toMatchObject({
      code: "AF_ERR_STATE_MISMATCH",
      message: expect.stringContaining(
        "its marker says flush 1 was committed, but the state's checkpoint is flush 0 (a state older than the archive)",
      ) as unknown,
    });
    await expect(createSink(config(), sinkDependencies()).open(null)).rejects.toMatchObject({ code: "AF_ERR_STATE_MISMATCH" });
    expect(await deliveredIds()).toHaveLength(5);
  });

  it("should say what to fix when the container does not exist", async () => {
    folder = { ...newFolder(), container: "missing-container" };
    const sink = createSink(config(), sinkDependencies());
    await expect(sink.open(null)).rejects.toMatchObject({
      code: "AF_ERR_SINK_REJECTED",
      message: expect.stringContaining("does not exist. Create it (the Pulumi stack does).") as unknown,
    });
    expect(await checkSink(config(), { signal: undefined, credential: sinkDependencies().credential })).toMatchObject({
      ok: false,
      fix: expect.stringContaining("does not exist. Create it") as unknown,
    });
  });
});
