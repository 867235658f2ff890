import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CLOUDS } from "../../../../collector/src/config/clouds.ts";
import { defaultConfig, type CollectorConfig } from "../../../../collector/src/config/config.ts";
import { isAuditfeedError } from "../../../../collector/src/errors.ts";
import { createLogger } from "../../../../collector/src/log/logger.ts";
import { checkSink, createSink } from "../../../../collector/src/sinks/registry.ts";
import type { SentinelSinkConfig } from "../../../../collector/src/sinks/sentinel/config.ts";
import type { SinkCheckResult } from "../../../../collector/src/sinks/sink-check.ts";
import type { OutboundRecord } from "../../../../collector/src/sinks/sink.ts";
import { createManagedIdentityCredential } from "../../../../collector/src/source/credential.ts";
import { createIdentityProvider } from "../../../../emulator/src/identity/index.ts";
import { startHttpServer } from "../../source/fixtures/servers.ts";
import { describeSinkContract, outbound } from "../contract.ts";
import { folderOf, sinkDependencies } from "../fixtures/dependencies.ts";
import { MAX_CALL_BYTES, POISON_MARK, startIngestionEndpoint } from "./ingestion-endpoint.ts";

const RULE_ID = "dcr-0123456789abcdef0123456789abcdef";
const STREAM = "Custom-AuditfeedM365_CL";
/** The job's user-assigned identity, as the stack passes it (managedIdentityClientId) for the Blob state. */
const IDENTITY = {
  clientId: "3c1d6b0e-7a44-4f0a-9a55-2b7e1f0c9d11",
  principalId: "8f2e4a61-1b3c-4d5e-8f70-a1b2c3d4e5f6",
  tenantId: "c0ffee00-1111-4a2b-8c3d-123456789abc",
};

const root = mkdtempSync(join(tmpdir(), "auditfeed-sentinel-sink-"));
// The emulator's managed identity endpoint issues tokens for any resource: the audience is what the sink asks for.
const identity = createIdentityProvider({ apps: [], managedIdentities: [IDENTITY] });
const identityEndpoint = await startHttpServer((request, response) => identity.handleManagedIdentity(request, response));
const endpoints = {
  commercial: await startIngestionEndpoint({ ruleId: RULE_ID, stream: STREAM, audience: CLOUDS.commercial.monitorAudience }),
  gcchigh: await startIngestionEndpoint({ ruleId: RULE_ID, stream: STREAM, audience: CLOUDS.gcchigh.monitorAudience }),
};
process.env["IDENTITY_HEADER"] = identity.managedIdentityHeader;
afterAll(async () => {
  await Promise.all([identityEndpoint.close(), ...Object.values(endpoints).map((endpoint) => endpoint.close())]);
  delete process.env["IDENTITY_HEADER"];
  delete process.env["IDENTITY_ENDPOINT"];
  rmSync(root, { recursive: true, force: true });
});
afterEach(() => {
  for (const endpoint of Object.values(endpoints)) {
    endpoint.rows.length = 0;
    endpoint.calls.length = 0;
    endpoint.faults.length = 0;
  }
});

/** The collector's own managed identity credential, as a job with a client secret and Blob state makes it. */
function jobIdentity(clientId = IDENTITY.clientId): ReturnType<typeof createManagedIdentityCredential> {
  const config: CollectorConfig = {
    ...defaultConfig(root),
    tenantId: IDENTITY.tenantId,
    clientId: "5e1f2a3b-0000-4c5d-8e9f-a0b1c2d3e4f5",
    credential: { kind: "secret", clientSecret: "app-secret" },
    publisherIdentifier: IDENTITY.tenantId,
    endpoints: { managedIdentityUrl: identityEndpoint.origin },
    state: {
      kind: "azblob",
      account: "auditfeedstate",
      container: "state",
      prefix: "",
      accountUrl: "https://auditfeedstate.blob.core.windows.net",
      managedIdentityClientId: clientId,
    },
  };
  return createManagedIdentityCredential(config);
}

let configs = 0;
function sentinelConfig(cloud: "commercial" | "gcchigh" = "commercial", driver: Partial<SentinelSinkConfig["remote"]["driver"]> = {}): SentinelSinkConfig {
  const endpoint = endpoints[cloud];
  const caFile = join(root, `${cloud}-ca.pem`);
  writeFileSync(caFile, endpoint.caPem);
  return {
    kind: "sentinel",
    remote: {
      url: endpoint.url,
      secret: undefined,
      caFile,
      driver: { concurrency: 3, timeoutInMs: 3_000, retry: { initialDelayInMs: 10, maxRetryDelayInMs: 2_000, maxElapsedInMs: 30_000 }, ...driver },
      deadLetter: { kind: "folder", directory: join(root, `dead-letter-${configs++}`) },
    },
    ruleId: RULE_ID,
    stream: STREAM,
    audience: CLOUDS[cloud].monitorAudience,
  };
}

function deadLettered(config: SentinelSinkConfig): { id: string; reason: string }[] {
  try {
    return readFileSync(join(folderOf(config.remote.deadLetter), "sentinel-dead-letter.ndjson"), "utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line) as { id: string; reason: string });
  } catch {
    return [];
  }
}

/** A record of about `bytes` bytes of JSON. */
function sized(id: string, bytes: number): OutboundRecord {
  const creationTime = "2026-11-20T10:00:00.000Z";
  const json = JSON.stringify({
    Id: id,
    CreationTime: creationTime.slice(0, 19),
    Operation: "MailItemsAccessed",
    Folders: "x".repeat(Math.max(0, bytes - 90)),
  });
  return { id, contentType: "Audit.Exchange", creationTime, json };
}

const ids = (records: readonly OutboundRecord[]): string[] => records.map((record) => record.id);
const storedIds = (cloud: "commercial" | "gcchigh" = "commercial"): string[] => endpoints[cloud].rows.map((row) => String(row["Id"]));

const contractConfig = sentinelConfig();
describeSinkContract({
  kind: "sentinel",
  config: contractConfig,
  create: () => createSink(contractConfig, sinkDependencies({ credential: jobIdentity })),
  delivered: () => Promise.resolve(storedIds()),
  reset: () => {
    endpoints.commercial.rows.length = 0;
    return Promise.resolve();
  },
});

async function deliver(config: SentinelSinkConfig, groups: readonly (readonly OutboundRecord[])[]): Promise<void> {
  const sink = createSink(config, sinkDependencies({ credential: jobIdentity }));
  await sink.open(null);
  try {
    for (const group of groups) await sink.write(group);
    await sink.flush();
  } finally {
    await sink.close();
  }
}

describe("sentinel sink – what goes over the wire", () => {
  it("should POST a gzipped JSON array of rows to the rule's stream, api-version 2023-01-01, with a token for https://monitor.azure.com from the job's identity", async () => {
    const records = outbound(5, "wire");
    await deliver(sentinelConfig(), [records]);
    const endpoint = endpoints.commercial;
    expect(endpoint.calls).toEqual([
      {
        path: `/dataCollectionRules/${RULE_ID}/streams/${STREAM}`,
        apiVersion: "2023-01-01",
        contentType: "application/json",
        gzip: true,
        sentBytes: expect.any(Number) as number,
        bodyBytes: expect.any(Number) as number,
        audience: "https://monitor.azure.com",
        authorizedParty: IDENTITY.clientId,
      },
    ]);
    expect(endpoint.rows).toEqual(
      records.map((record) => ({
        TimeGenerated: record.creationTime,
        ContentType: "Audit.General",
        Id: record.id,
        Record: JSON.parse(record.json) as unknown,
      })),
    );
  });

  it("should ask for the US Government audience (https://monitor.azure.us) in gcchigh", async () => {
    const records = outbound(3, "gov");
    await deliver(sentinelConfig("gcchigh"), [records]);
    expect(endpoints.gcchigh.calls.map((call) => call.audience)).toEqual(["https://monitor.azure.us"]);
    expect(storedIds("gcchigh").sort()).toEqual(ids(records).sort());
  });

  it("should keep every request within 1 MB before compression, and dead-letter whole a record over 64 KiB instead of letting the service truncate it", async () => {
    const config = sentinelConfig();
    const records = Array.from({ length: 400 }, (_, i) => sized(`big-${i}`, 9_000 + (i % 7) * 1_000));
    const oversized = sized("oversized-0", 70_000);
    await deliver(config, [records.slice(0, 150), [oversized], records.slice(150)]);
    const { calls } = endpoints.commercial;
    expect(calls.length).toBeGreaterThanOrEqual(5);
    for (const call of calls) {
      expect(call.bodyBytes).toBeLessThanOrEqual(MAX_CALL_BYTES);
      expect(call.sentBytes).toBeLessThan(call.bodyBytes);
    }
    expect(Math.max(...calls.map((call) => call.bodyBytes))).toBeGreaterThan(900_000);
    expect(storedIds().sort()).toEqual(ids(records).sort());
    expect(deadLettered(config)).toEqual([
      expect.objectContaining({ id: oversized.id, reason: expect.stringContaining("more than the 65536 bytes") as string }),
    ]);
  });

  it("should deliver every record once through 429 with Retry-After, 503 and a timeout, and put the row refused with 400 in the dead letter with the service's reason", async () => {
    const config = sentinelConfig("commercial", {
      concurrency: 2,
      timeoutInMs: 1_500,
      retry: { initialDelayInMs: 10, maxRetryDelayInMs: 2_000, maxElapsedInMs: 20_000 },
    });
    const good = outbound(90, "faults");
    const poison: OutboundRecord = {
      id: `${POISON_MARK}-1`,
      contentType: "Audit.Exchange",
      creationTime: null,
      json: JSON.stringify({ Id: `${POISON_MARK}-1` }),
    };
    endpoints.commercial.faults.push("429", "503", "hang");
    const started = Date.now();
    await deliver(config, [good.slice(0, 40), [poison], good.slice(40)]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(endpoints.commercial.faults).toEqual([]);
    expect(storedIds().sort()).toEqual(ids(good).sort());
    expect(deadLettered(config)).toEqual([expect.objectContaining({ id: poison.id, reason: expect.stringMatching(/^HTTP 400: .*InvalidStream/) as string })]);
  });

  it("should never follow a redirect with the token, and give up with the fix when the endpoint keeps redirecting", async () => {
    const elsewhere = await startIngestionEndpoint({ ruleId: RULE_ID, stream: STREAM, audience: CLOUDS.commercial.monitorAudience });
    endpoints.commercial.redirectTo = elsewhere.url;
    endpoints.commercial.faults.push(...Array.from({ length: 100 }, () => "redirect" as const));
    const config = sentinelConfig("commercial", { retry: { initialDelayInMs: 10, maxRetryDelayInMs: 20, maxElapsedInMs: 200 } });
    const error: unknown = await deliver(config, [outbound(2, "redirect")]).catch((caught: unknown) => caught);
    await elsewhere.close();
    expect(elsewhere.calls).toEqual([]);
    expect(isAuditfeedError(error) && error.code).toBe("AF_ERR_SINK_UNAVAILABLE");
    expect((error as Error).message).toContain("the token is only sent to sinkUrl");
    expect(deadLettered(config)).toEqual([]);
  });

  it("should not trust the endpoint's certificate without its CA (sinkCaFile), and fail at once with AF_ERR_TLS", async () => {
    const config = { ...sentinelConfig(), remote: { ...sentinelConfig().remote, caFile: undefined } };
    const error: unknown = await deliver(config, [outbound(1, "tls")]).catch((caught: unknown) => caught);
    expect(isAuditfeedError(error) && error.code).toBe("AF_ERR_TLS");
    expect(endpoints.commercial.calls).toEqual([]);
  });

  it("should never log the bearer token", async () => {
    const logs: string[] = [];
    endpoints.commercial.faults.push("503");
    const sink = createSink(sentinelConfig(), sinkDependencies({ credential: jobIdentity, logger: createLogger({ write: (line) => logs.push(line) }) }));
    await sink.open(null);
    await sink.write(outbound(2, "log"));
    await sink.flush();
    await sink.close();
    const token = (await jobIdentity().getToken(`${CLOUDS.commercial.monitorAudience}/.default`))?.token ?? "";
    expect(token.length).toBeGreaterThan(20);
    expect(logs.join("")).toContain("The destination did not accept a batch");
    expect(logs.join("")).not.toContain(token);
  });
});

describe("doctor's check of the sentinel sink", () => {
  const check = (config: SentinelSinkConfig, clientId?: string) =>
    checkSink(config, { signal: undefined, credential: () => jobIdentity(clientId) }) as Promise<SinkCheckResult>;

  it("should pass an endpoint that answers with the managed identity's token for the cloud's audience, and deliver nothing", async () => {
    const result = await check(sentinelConfig("gcchigh"));
    expect(result.ok).toBe(true);
    expect(result.summary).toContain(CLOUDS.gcchigh.monitorAudience);
    expect(endpoints.gcchigh.calls).toEqual([]);
  });

  it("should fail an identity that gets no token, naming managedIdentityClientId", async () => {
    const result = await check(sentinelConfig(), "0b5e2a1c-9d8f-4e7a-b6c5-d4e3f2a1b0c9");
    expect(result.ok ? "passed" : result.fix).toContain("managedIdentityClientId");
  });

  it("should fail an endpoint nothing listens on, asking for the port and the firewall", async () => {
    const closed = await startHttpServer((_request, response) => {
      response.end();
    });
    await closed.close();
    const result = await check({ ...sentinelConfig(), remote: { ...sentinelConfig().remote, url: closed.origin.replace("http:", "https:") } });
    expect(result.ok ? "passed" : result.fix).toContain("firewall");
  });
});
