import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../collector/src/config/config.ts";
import { silentLogger } from "../../../collector/src/log/logger.ts";
import { BlobDeadLetter } from "../../../collector/src/sinks/remote/dead-letter-blob.ts";
import { FileDeadLetter } from "../../../collector/src/sinks/remote/dead-letter.ts";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from "../../fixtures/azurite.ts";
import { outbound } from "./contract.ts";

// Issue 9, item 3: the dead letter can be a Blob folder (the Container Apps Job's disk does not last), with the same
// record + reason lines as the file dead letter.

const azurite = await startAzurite();
const root = mkdtempSync(join(tmpdir(), "auditfeed-dead-letter-"));
afterAll(async () => {
  await azurite.close();
  rmSync(root, { recursive: true, force: true });
});
const AT = new Date("2026-11-20T10:15:00Z");

describe("the Blob dead letter", () => {
  it("should append the file dead letter's very lines to the hour's append blob, across puts", async () => {
    const container = await azurite.createContainer("dead-letter");
    const folder = { account: AZURITE_ACCOUNT, container, prefix: "tenant", accountUrl: azurite.accountUrl, accountKey: AZURITE_KEY };
    const blob = new BlobDeadLetter({ folder, sink: "http", logger: silentLogger, now: () => AT });
    const file = new FileDeadLetter({ directory: root, sink: "http", logger: silentLogger, now: () => AT });
    const first = outbound(3).map((record) => ({ record, reason: "HTTP 400: mapper_parsing_exception" }));
    const second = outbound(2).map((record) => ({ record, reason: "the record takes 2000000 bytes, more than the 1000000 bytes" }));
    for (const rejected of [first, second]) {
      await blob.put(rejected);
      await file.put(rejected);
    }
    expect(blob.count).toBe(5);
    const stored = await azurite.service.getContainerClient(container).getBlobClient("tenant/http-dead-letter/2026-11-20T10.ndjson").downloadToBuffer();
    expect(stored.toString("utf8")).toBe(readFileSync(file.location, "utf8"));
    expect(JSON.parse(stored.toString("utf8").split("\n")[0] ?? "")).toMatchObject({
      sink: "http",
      reason: "HTTP 400: mapper_parsing_exception",
      id: first[0]?.record.id,
    });
  });

  it("should fail retryably, saying what to fix, when it cannot append (the records stay undelivered)", async () => {
    const folder = { account: AZURITE_ACCOUNT, container: "no-such-container", prefix: "", accountUrl: azurite.accountUrl, accountKey: AZURITE_KEY };
    const blob = new BlobDeadLetter({ folder, sink: "syslog", logger: silentLogger, now: () => AT });
    await expect(blob.put(outbound(1).map((record) => ({ record, reason: "too big" })))).rejects.toMatchObject({
      code: "AF_ERR_SINK_UNAVAILABLE",
      message: expect.stringContaining("could not be written to the dead letter") as unknown,
    });
  });

  it("should be configured as azblob://, with its own endpoint and key options, which a folder refuses", () => {
    const base = {
      AUDITFEED_TENANT_ID: "7d3c1a52-8f4e-4b9a-9c21-5e6f7a8b9c0d",
      AUDITFEED_CLIENT_ID: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
      AUDITFEED_CLIENT_SECRET: "s",
      AUDITFEED_SINK: "syslog",
      AUDITFEED_SINK_URL: "tcp://127.0.0.1:514",
    };
    const config = loadConfig({
      argv: [],
      cwd: root,
      env: {
        ...base,
        AUDITFEED_DEAD_LETTER: `azblob://${AZURITE_ACCOUNT}/dead-letter/tenant`,
        AUDITFEED_DEAD_LETTER_BLOB_ENDPOINT: azurite.accountUrl,
        AUDITFEED_DEAD_LETTER_ACCOUNT_KEY: AZURITE_KEY,
      },
    });
    expect(config.sink.kind === "syslog" && config.sink.remote.deadLetter).toEqual({
      kind: "azblob",
      folder: { account: AZURITE_ACCOUNT, container: "dead-letter", prefix: "tenant", accountUrl: azurite.accountUrl, accountKey: AZURITE_KEY },
    });
    expect(() => loadConfig({ argv: [], cwd: root, env: { ...base, AUDITFEED_DEAD_LETTER_BLOB_ENDPOINT: azurite.accountUrl } })).toThrow(
      "AUDITFEED_DEAD_LETTER_BLOB_ENDPOINT is set, but the dead letter is a local folder: it only applies to an azblob:// deadLetter. Remove it.",
    );
  });
});
