import { writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Collector } from "../../collector/src/collector.ts";
import { createLogger } from "../../collector/src/log/logger.ts";
import { readDeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { trustExtraCa } from "../../collector/src/source/trust.ts";
import type { ContentTypeReport } from "../../collector/src/pipeline/cycle.ts";
import { demoTenant, type Emulator, startEmulator } from "../../emulator/src/index.ts";
import { createCertificateAuthority } from "../../emulator/src/tls.ts";
import { collectorConfig, FAST_RETRY, groundTruthOver, temporaryDirectory } from "./harness.ts";

/**
 * Some listed blobs point at another host. That host is a working HTTPS server the collector trusts, so if the guard
 * were missing the request (and its bearer token) would arrive there. It must receive nothing at all.
 */
describe("a poisoned contentUri on another host", () => {
  let emulator: Emulator;
  let attacker: Server;
  const received: Array<{ path: string; authorization: string | undefined }> = [];
  const logs: string[] = [];
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  let reports: ContentTypeReport[] = [];
  let failed = 0;

  beforeAll(async () => {
    directory = await temporaryDirectory();
    const authority = createCertificateAuthority();
    const certificate = authority.issueServerCertificate(["127.0.0.1", "localhost"]);
    attacker = createServer({ cert: certificate.certPem, key: certificate.keyPem }, (request, response) => {
      received.push({ path: request.url ?? "", authorization: request.headers.authorization });
      response.writeHead(200, { "content-type": "application/json" }).end("[]");
    });
    attacker.listen(0, "127.0.0.1");
    await once(attacker, "listening");
    const caFile = join(directory.path, "attacker-ca.pem");
    await writeFile(caFile, authority.caPem);
    trustExtraCa(caFile);

    const attackerUrl = `https://localhost:${(attacker.address() as AddressInfo).port}`;
    emulator = await startEmulator({ seed: 5, freezeClock: true, tenants: [{ ...demoTenant(), historyHours: 4, faults: { poisonContentUri: attackerUrl } }] });
    const logger = createLogger({ level: "debug", write: (line) => logs.push(line) });
    const collector = await Collector.open(collectorConfig(emulator, directory.path, { AUDITFEED_LOOKBACK: "3h" }), logger, { retry: FAST_RETRY });
    try {
      const report = await collector.cycle();
      reports = [...report.contentTypes];
      failed = report.contentTypes.reduce((sum, entry) => sum + entry.failed, 0);
    } finally {
      await collector.close();
    }
  });

  afterAll(async () => {
    await emulator.close();
    attacker.close();
    await directory.remove();
  });

  it("should send that host nothing, let alone a token", () => {
    expect(received).toEqual([]);
  });

  it("should report the refused blobs and keep them pending, naming the host", () => {
    expect(failed).toBeGreaterThan(0);
    const refusals = logs
      .map((line) => JSON.parse(line) as { msg: string; error?: { code?: string; message?: string } })
      .filter((entry) => entry.error?.code === "AF_ERR_UNTRUSTED_URL");
    expect(refusals.length).toBe(failed);
    expect(refusals[0]?.error?.message).toContain("localhost");
  });

  it("should still deliver every record of the blobs on the trusted host", async () => {
    const truth = groundTruthOver(emulator, reports, reports);
    const delivered = await readDeliveredRecords(join(directory.path, "events"));
    expect(delivered.lines).toBe(delivered.ids.size);
    expect([...truth].filter((id) => !delivered.ids.has(id))).toEqual([]);
    expect(delivered.ids.size).toBe(truth.size);
  });
});
