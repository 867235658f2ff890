import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { DEMO_TENANT, demoTenant, startEmulator } from "../../emulator/src/index.ts";
import { Collector } from "../../collector/src/collector.ts";
import { loadConfig } from "../../collector/src/config/config.ts";
import { createLogger } from "../../collector/src/log/logger.ts";
import { readDeliveredRecords } from "../../collector/src/sinks/file/delivered-records.ts";
import { emulatorEnvironment } from "./emulator-environment.ts";
import { readArguments } from "./arguments.ts";
import { EXIT } from "./exit-codes.ts";

const LOOKBACK = "6h";

const number = (value: number): string => value.toLocaleString("en-US");

/**
 * `auditfeed demo` (what `npm start` runs): the built-in emulator with six hours of audit history and the faults of
 * the real service, the collector run once against it into ./auditfeed-demo/, and the result checked against the
 * emulator's ground truth.
 */
export async function demoCommand(args: string[]): Promise<number> {
  const read = readArguments("demo", args, {
    help: "Usage: auditfeed demo\n\nRuns the collector once against the built-in emulator and delivers into ./auditfeed-demo/ (recreated on every run).\n",
    collectorOptions: false,
  });
  if ("exit" in read) return read.exit;
  const directory = resolve("auditfeed-demo");
  await rm(directory, { recursive: true, force: true });
  await mkdir(directory, { recursive: true });
  const out = process.stdout;
  out.write("auditfeed demo: the collector against the built-in Management Activity API emulator\n\n");
  // The faults the real service shows every day: blobs listed late, the same record in two blobs, the odd 500.
  const emulator = await startEmulator({
    seed: 1,
    tenants: [{ ...demoTenant(), faults: { lateBlobRate: 0.05, duplicateRecordRate: 0.02, transientErrorRate: 0.01 } }],
  });
  const logFile = join(directory, "collector.log");
  const logStream = createWriteStream(logFile);
  const logger = createLogger({ level: "info", write: (line) => logStream.write(line) });
  try {
    const config = loadConfig({
      argv: [],
      cwd: directory,
      env: { ...emulatorEnvironment(emulator, directory), AUDITFEED_LOOKBACK: LOOKBACK },
    });
    out.write(`  emulator   ${emulator.managementUrl} (tenant ${DEMO_TENANT}, trusted through ${emulator.caFile})\n`);
    out.write("             with late blobs, duplicate records and transient 500s, as the real service has\n");
    out.write(`  collecting the last ${LOOKBACK} of all five content types...\n\n`);
    const started = Date.now();
    const collector = await Collector.open(config, logger);
    const report = await collector.cycle().finally(() => collector.close());
    const seconds = (Date.now() - started) / 1000;

    const delivered = await readDeliveredRecords(join(directory, "events"));
    let expected = 0;
    let missing = 0;
    for (const entry of report.contentTypes) {
      const suffix = entry.error ? `  FAILED: ${entry.error.message}` : `  (${number(entry.blobs)} blobs, ${number(entry.duplicates)} duplicates dropped)`;
      out.write(`  ${entry.contentType.padEnd(28)} ${number(entry.records).padStart(9)} records${suffix}\n`);
      if (!entry.range) continue;
      const truth = emulator.tenant(DEMO_TENANT).groundTruth({ from: entry.range.start, to: entry.range.end, contentTypes: [entry.contentType] });
      expected += truth.count;
      for (const id of truth.ids) if (!delivered.ids.has(id)) missing++;
    }
    const repeats = delivered.lines - delivered.ids.size;
    out.write(
      `\n  delivered  ${number(delivered.lines)} records in ${seconds.toFixed(1)} s to ${delivered.files.map((file) => relative(process.cwd(), file)).join(", ")}\n`,
    );
    const exact = missing === 0 && repeats === 0 && delivered.ids.size === expected;
    out.write(
      exact
        ? `  verified   every one of the emulator's ${number(expected)} records was delivered exactly once\n`
        : `  MISMATCH   emulator holds ${number(expected)} records; ${number(missing)} missing, ${number(repeats)} repeated, ${number(delivered.ids.size)} delivered\n`,
    );
    out.write(`  logs       ${relative(process.cwd(), logFile)}\n\n`);
    out.write("Next: 'npx auditfeed emulate' serves the emulator to any tool; 'npx auditfeed run --help' lists every collector option.\n");
    return exact ? EXIT.ok : EXIT.failed;
  } finally {
    await emulator.close();
    await new Promise<void>((done) => logStream.end(done));
  }
}
