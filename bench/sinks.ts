/**
 * Each sink's throughput beside the file sink's: the same records, written in groups and flushed as the collector
 * does, into the file sink, every HTTP preset against a local TLS intake (gzip on, the preset's batch limits, the
 * delivery driver's default concurrency), and syslog over TCP into a real rsyslogd (the syslog row is skipped, and
 * says so, when rsyslogd is not installed). Every run is checked: the destination must hold each record exactly once.
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
import { SECRET, startIntake } from "../test/collector/sinks/fixtures/intake-server.ts";
import { startRsyslog, structuredId } from "../test/collector/sinks/fixtures/rsyslog.ts";

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

async function run(name: string, config: SinkConfig, delivered: () => Promise<number>): Promise<void> {
  const batch = records();
  const bytes = batch.reduce((sum, record) => sum + record.json.length + 1, 0);
  const noIdentity = (): never => {
    throw new Error("no sink in this bench authenticates with a managed identity");
  };
  const sink = createSink(config, { logger: silentLogger, signal: undefined, credential: noIdentity });
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
  deadLetterDirectory: join(root, `dead-letter-${name}`),
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
