import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { isAuditfeedError } from "../../../../collector/src/errors.ts";
import type { HttpSinkConfig } from "../../../../collector/src/sinks/http/config.ts";
import { HEC_SOURCETYPE } from "../../../../collector/src/sinks/http/splunk-hec.ts";
import { createSink } from "../../../../collector/src/sinks/registry.ts";
import type { OutboundRecord } from "../../../../collector/src/sinks/sink.ts";
import { describeSinkContract, outbound } from "../contract.ts";
import { folderOf, sinkDependencies } from "../fixtures/dependencies.ts";
import { POISON_MARK, SECRET, startIntake, type IntakeServer } from "../fixtures/intake-server.ts";

const PRESETS = ["splunk-hec", "elasticsearch", "sekoia", "webhook"] as const;
type Preset = (typeof PRESETS)[number];

const root = mkdtempSync(join(tmpdir(), "auditfeed-http-sink-"));
const intakes = Object.fromEntries(await Promise.all(PRESETS.map(async (preset) => [preset, await startIntake(preset)] as const))) as Record<
  Preset,
  IntakeServer
>;
afterAll(async () => {
  await Promise.all(Object.values(intakes).map((intake) => intake.close()));
  rmSync(root, { recursive: true, force: true });
});

let configs = 0;
function httpConfig(preset: Preset, overrides: Partial<HttpSinkConfig> = {}, remote: Partial<HttpSinkConfig["remote"]> = {}): HttpSinkConfig {
  const intake = intakes[preset];
  const caFile = join(root, `${preset}-ca.pem`);
  writeFileSync(caFile, intake.caPem);
  return {
    kind: "http",
    preset,
    remote: {
      url: intake.url,
      secret: SECRET,
      caFile,
      driver: { concurrency: 3, timeoutInMs: 3_000, retry: { initialDelayInMs: 10, maxRetryDelayInMs: 2_000, maxElapsedInMs: 30_000 } },
      deadLetter: { kind: "folder", directory: join(root, `dead-letter-${configs++}`) },
      ...remote,
    },
    index: preset === "elasticsearch" ? "o365-audit" : undefined,
    ack: preset === "splunk-hec",
    header: "X-Api-Key",
    gzip: true,
    limits: { maxRecords: 40 },
    ...overrides,
  };
}

function deadLettered(config: HttpSinkConfig): { id: string; reason: string }[] {
  try {
    return readFileSync(join(folderOf(config.remote.deadLetter), "http-dead-letter.ndjson"), "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { id: string; reason: string });
  } catch {
    return [];
  }
}

function poison(id: string): OutboundRecord {
  return { id, contentType: "Audit.Exchange", creationTime: "2026-11-20T10:00:00.000Z", json: JSON.stringify({ Id: id, Workload: { nested: "conflict" } }) };
}

for (const preset of PRESETS) {
  const config = httpConfig(preset);
  describeSinkContract({
    kind: "http",
    config,
    create: () => createSink(config, sinkDependencies()),
    delivered: () => Promise.resolve([...intakes[preset].stored]),
    reset: () => {
      intakes[preset].stored.length = 0;
      return Promise.resolve();
    },
  });
}

describe.each(PRESETS)("http sink, %s preset, against a misbehaving intake", (preset) => {
  it("should deliver every record once through 429 with Retry-After, 503 and a timeout, and put the record refused forever in the dead letter", async () => {
    const intake = intakes[preset];
    intake.stored.length = 0;
    const config = httpConfig(preset);
    const sink = createSink(config, sinkDependencies());
    await sink.open(null);
    const good = outbound(100, preset);
    const bad = poison(`${POISON_MARK}-${preset}`);
    intake.faults.push("429", "503", "hang");
    const started = Date.now();
    await sink.write(good.slice(0, 37));
    await sink.write([bad]);
    await sink.write(good.slice(37));
    await sink.flush();
    await sink.close();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(intake.faults).toEqual([]);
    expect([...intake.stored].sort()).toEqual(good.map((record) => record.id).sort());
    expect(deadLettered(config)).toEqual([
      expect.objectContaining({ id: bad.id, reason: expect.stringMatching(/^(HTTP 4\d\d|400 document_parsing_exception)/) as string }),
    ]);
    expect(intake.requests.every((request) => request.gzip)).toBe(true);
  });
});

describe("http sink presets – what goes over the wire", () => {
  it("splunk-hec: time from CreationTime, the content type as source, o365:management:activity, and indexer acknowledgement on a channel", async () => {
    const intake = intakes["splunk-hec"];
    intake.requests.length = 0;
    const sink = createSink(httpConfig("splunk-hec", { index: "o365" }), sinkDependencies());
    await sink.open(null);
    const [record] = outbound(1, "hec");
    await sink.write([record as OutboundRecord]);
    await sink.flush();
    await sink.close();
    const event = intake.requests.find((request) => request.path === "/services/collector/event");
    expect(event?.headers["x-splunk-request-channel"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(intake.requests.some((request) => request.path === "/services/collector/ack")).toBe(true);
    expect(HEC_SOURCETYPE).toBe("o365:management:activity");
  });

  it("elasticsearch: a batch the index already partly holds (store, then the answer is lost) creates nothing twice; items answered 429 are sent again alone", async () => {
    const intake = intakes.elasticsearch;
    intake.stored.length = 0;
    const sink = createSink(httpConfig("elasticsearch", { limits: { maxRecords: 10 } }), sinkDependencies());
    await sink.open(null);
    intake.faults.push("store-then-hang");
    intake.bulkItemRejections.push(2, 5);
    const records = outbound(30, "es");
    await sink.write(records);
    await sink.flush();
    await sink.close();
    expect([...intake.stored].sort()).toEqual(records.map((record) => record.id).sort());
  });

  it("webhook: NDJSON with the secret in the configured header, and no gzip when it is off", async () => {
    const intake = intakes.webhook;
    intake.requests.length = 0;
    const sink = createSink(httpConfig("webhook", { gzip: false }), sinkDependencies());
    await sink.open(null);
    await sink.write(outbound(3, "wh"));
    await sink.flush();
    await sink.close();
    expect(intake.requests.map((request) => [request.gzip, request.headers["content-type"], request.headers["x-api-key"]])).toEqual([
      [false, "application/x-ndjson", SECRET],
    ]);
  });

  it("should not trust the intake's certificate without its CA (sinkCaFile), and say so when it gives up", async () => {
    const sink = createSink(
      httpConfig(
        "webhook",
        {},
        { caFile: undefined, driver: { concurrency: 1, timeoutInMs: 1_000, retry: { initialDelayInMs: 10, maxRetryDelayInMs: 20, maxElapsedInMs: 100 } } },
      ),
      sinkDependencies(),
    );
    await sink.open(null);
    await sink.write(outbound(1, "tls"));
    const error: unknown = await sink.flush().catch((caught: unknown) => caught);
    await sink.close();
    expect(isAuditfeedError(error) && error.code).toBe("AF_ERR_TLS");
    expect((error as Error).message).toMatch(/is not trusted \((SELF_SIGNED|UNABLE_TO_VERIFY)\w*\): give the CA that signed it with sinkCaFile/);
  });

  it("should keep retrying (not dead-letter) while the intake refuses the credential, and never show the secret", async () => {
    const logs: string[] = [];
    const { createLogger } = await import("../../../../collector/src/log/logger.ts");
    const config = httpConfig(
      "sekoia",
      {},
      {
        secret: "wrong-secret-value",
        driver: { concurrency: 1, timeoutInMs: 1_000, retry: { initialDelayInMs: 10, maxRetryDelayInMs: 20, maxElapsedInMs: 150 } },
      },
    );
    const sink = createSink(config, sinkDependencies({ logger: createLogger({ write: (line) => logs.push(line) }) }));
    await sink.open(null);
    await sink.write(outbound(2, "auth"));
    const error: unknown = await sink.flush().catch((caught: unknown) => caught);
    await sink.close();
    expect((error as Error).message).toContain("HTTP 401");
    expect((error as Error).message).toContain("check the sink's URL and secret");
    expect(deadLettered(config)).toEqual([]);
    expect(logs.join("")).not.toContain("wrong-secret-value");
  });
});
