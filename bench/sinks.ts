/**
 * Each sink's throughput beside the file sink's: the same records, written in groups and flushed as the collector
 * does, into the file sink, every HTTP preset against a local TLS intake (gzip on, the preset's batch limits, the
 * delivery driver's default concurrency), and syslog over TCP into a real rsyslogd (the syslog row is skipped, and
 * says so, when rsyslogd is not installed), Sentinel against a local TLS Logs Ingestion endpoint with tokens from the
 * emulator's managed identity endpoint, and the Azure Blob archive into Azurite (gzip, a block per hour blob and flush,
 * committed after each flush as the collector does). Every run is checked: the destination must hold each record
 * exactly once.
 * The figures include the local receivers' own work, on the same machine.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readDeliveredRecords } from "../collector/src/sinks/file/delivered-records.ts";
import { DEFAULT_DRIVER_SETTINGS } from "../collector/src/sinks/remote/driver.ts";
import { createSink, type SinkConfig } from "../collector/src/sinks/registry.ts";
import type { OutboundRecord } from "../collector/src/sinks/sink.ts";
import { silentLogger } from "../collector/src/log/logger.ts";
import { CLOUDS } from "../collector/src/config/clouds.ts";
import { ManagedIdentityCredential, type TokenCredential } from "@azure/identity";
import { createIdentityProvider } from "../emulator/src/identity/index.ts";
import { startHttpServer } from "../test/collector/source/fixtures/servers.ts";
import { startIngestionEndpoint } from "../test/collector/sinks/sentinel/ingestion-endpoint.ts";
import { SECRET, startIntake } from "../test/collector/sinks/fixtures/intake-server.ts";
import { startRsyslog, structuredId } from "../test/collector/sinks/fixtures/rsyslog.ts";
import { archivedIds } from "../test/fixtures/archive.ts";
import { AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from "../test/fixtures/azurite.ts";

const RECORDS = Number(process.env["AUDITFEED_BENCH_SINK_RECORDS"] ?? 50_000);
const PER_FLUSH = 5_000;
const root = mkdtempSync(join(tmpdir(), "auditfeed-bench-sinks-"));

function records(): OutboundRecord[] {
  const pad = "x".repeat(700);
  return Array.from({ length: RECORDS }, (_, i) => {
    const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
    const creationTime = new Date(Date.UTC(2026, 10, 20, 10, 0, i % 3600)).toISOString();
    return {
      id,
      contentType: "Audit.SharePoint",
      creationTime,
      json: JSON.stringify({ Id: id, CreationTime: creationTime.slice(0, 19), Operation: "FileAccessed", pad }),
    };
  });
}

async function run(name: string, config: SinkConfig, delivered: () => Promise<number>, credential?: TokenCredential): Promise<void> {
  const batch = records();
  const bytes = batch.reduce((sum, record) => sum + record.json.length + 1, 0);
  const noIdentity = (): never => {
    throw new Error("only the sentinel sink authenticates with a managed identity");
  };
  const sink = createSink(config, { logger: silentLogger, signal: undefined, credential: credential === undefined ? noIdentity : () => credential });
  await sink.open(null);
  await sink.committed(await sink.flush());
  const started = performance.now();
  for (let start = 0; start < batch.length; start += PER_FLUSH) {
    await sink.write(batch.slice(start, start + PER_FLUSH));
    await sink.committed(await sink.flush());
  }
  const ms = performance.now() - started;
  await sink.close();
  const count = await delivered();
  if (count !== RECORDS) throw new Error(`${name}: the destination holds ${count} records, not ${RECORDS}.`);
  console.log(
    `  ${name.padEnd(26)} ${Math.round((RECORDS * 1000) / ms)
      .toLocaleString("en-US")
      .padStart(9)} records/s  ${((bytes / 1e6) * (1000 / ms)).toFixed(1).padStart(6)} MB/s`,
  );
}

const remote = (url: string, caFile: string | undefined, name: string) => ({
  url,
  secret: SECRET,
  caFile,
  driver: DEFAULT_DRIVER_SETTINGS,
  deadLetter: { kind: "folder" as const, directory: join(root, `dead-letter-${name}`) },
});

console.log(
  `Sinks: ${RECORDS.toLocaleString("en-US")} records of ~800 bytes, flushed every ${PER_FLUSH.toLocaleString("en-US")} (as the collector commits groups)`,
);
try {
  const directory = join(root, "file");
  await run("file", { kind: "file", directory, rotateBytes: 128 * 1_048_576 }, async () => (await readDeliveredRecords(directory)).ids.size);
  for (const preset of ["webhook", "splunk-hec", "elasticsearch", "sekoia"] as const) {
    const intake = await startIntake(preset);
    const caFile = join(root, `${preset}-ca.pem`);
    writeFileSync(caFile, intake.caPem);
    try {
      await run(
        `http ${preset}`,
        {
          kind: "http",
          preset,
          remote: remote(intake.url, caFile, preset),
          index: preset === "elasticsearch" ? "o365" : undefined,
          ack: false,
          header: "X-Api-Key",
          gzip: true,
          limits: {},
        },
        () => Promise.resolve(new Set(intake.stored).size === intake.stored.length ? intake.stored.length : -1),
      );
    } finally {
      await intake.close();
    }
  }
  await runSentinel();
  const azurite = await startAzurite();
  try {
    const container = await azurite.createContainer("archive");
    await run(
      "azblob archive (Azurite)",
      { kind: "azblob", folder: { account: AZURITE_ACCOUNT, container, prefix: "bench", accountUrl: azurite.accountUrl, accountKey: AZURITE_KEY } },
      async () => new Set(await archivedIds(azurite.service, container, "bench")).size,
    );
  } finally {
    await azurite.close();
  }
  let rsyslog;
  try {
    mkdirSync(join(root, "rsyslog"));
    rsyslog = await startRsyslog(join(root, "rsyslog"), { maxMessageBytes: 65_536 });
  } catch (error) {
    console.log(`  syslog: skipped (${(error as Error).message.split(":")[0]})`);
  }
  if (rsyslog !== undefined) {
    const receiver = rsyslog;
    try {
      await run(
        "syslog tcp (rsyslogd)",
        { kind: "syslog", remote: remote(`tcp://127.0.0.1:${receiver.port}`, undefined, "syslog"), clientCertificate: undefined, maxMessageBytes: 65_536 },
        async () => {
          const messages = await receiver.waitFor(RECORDS, 60_000);
          return new Set(messages.map(structuredId)).size;
        },
      );
    } finally {
      await receiver.stop();
    }
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}

/** The Sentinel sink as the job runs it: the managed identity's token (from the emulator's endpoint), gzip, 1 MB requests. */
async function runSentinel(): Promise<void> {
  const uami = {
    clientId: "3c1d6b0e-7a44-4f0a-9a55-2b7e1f0c9d11",
    principalId: "8f2e4a61-1b3c-4d5e-8f70-a1b2c3d4e5f6",
    tenantId: "c0ffee00-1111-4a2b-8c3d-123456789abc",
  };
  const identity = createIdentityProvider({ apps: [], managedIdentities: [uami] });
  const identityEndpoint = await startHttpServer((request, response) => identity.handleManagedIdentity(request, response));
  process.env["IDENTITY_ENDPOINT"] = identityEndpoint.origin;
  process.env["IDENTITY_HEADER"] = identity.managedIdentityHeader;
  const ruleId = "dcr-0123456789abcdef0123456789abcdef";
  const stream = "Custom-AuditfeedM365_CL";
  const endpoint = await startIngestionEndpoint({ ruleId, stream, audience: CLOUDS.commercial.monitorAudience });
  const caFile = join(root, "sentinel-ca.pem");
  writeFileSync(caFile, endpoint.caPem);
  try {
    await run(
      "sentinel",
      {
        kind: "sentinel",
        remote: { ...remote(endpoint.url, caFile, "sentinel"), secret: undefined },
        ruleId,
        stream,
        audience: CLOUDS.commercial.monitorAudience,
      },
      () => Promise.resolve(new Set(endpoint.rows.map((row) => row["Id"])).size === endpoint.rows.length ? endpoint.rows.length : -1),
      new ManagedIdentityCredential({ clientId: uami.clientId }),
    );
  } finally {
    await endpoint.close();
    await identityEndpoint.close();
  }
}
