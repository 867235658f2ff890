// Memory per blob: `auditfeed once` (the command, in its own process, timed whole, started as the container image starts
// it: harness/image-entry.ts) over a tenant holding one blob of --mb MB (default 500), first with the image's Node
// flags alone, then with its old space capped at --heap-limit-mb (default 64) too.
// Prints the command's peak RSS (the kernel's VmHWM, read every 20 ms until it exits), wall and CPU time; fails unless
// each run delivers exactly the emulator's ground truth, each record once. --state blob keeps the collector's state in
// Blob storage (Azurite, in a process of its own whose CPU and memory are not counted; a new container per run)
// instead of SQLite. Run: node bench/blob-memory.ts [--mb 500] [--heap-limit-mb 64] [--state sqlite|blob]
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { readDeliveredRecords } from "../collector/src/sinks/file/delivered-records.ts";
import { DEMO_TENANT, startEmulator, type Emulator } from "../emulator/src/index.ts";
import { collectorEnvironment, oneExchangeBlobTenant, runCli } from "../test/e2e/harness.ts";
import { startAzurite, type Azurite } from "../test/fixtures/azurite.ts";
import { imageEntry, type AuditfeedEntry } from "./harness/image-entry.ts";

const HOUR_MS = 3_600_000;
const NOW = new Date("2026-11-20T12:00:00Z");
/** Average size of an emulated Exchange record on one line, measured; only used to aim the blob at --mb. */
const EXCHANGE_RECORD_BYTES = 1_105;

const { values } = parseArgs({
  options: { mb: { type: "string", default: "500" }, "heap-limit-mb": { type: "string", default: "64" }, state: { type: "string", default: "sqlite" } },
});
if (values.state !== "sqlite" && values.state !== "blob") throw new RangeError(`--state must be sqlite or blob; got ${values.state}.`);
const records = Math.round((Number(values.mb) * 1e6) / EXCHANGE_RECORD_BYTES);
const heapLimitMb = Number(values["heap-limit-mb"]);

/** A tenant whose only blob holds `records` records: one probe of oneExchangeBlobTenant finds the size to ask for. */
async function emulatorWithOneBlob(): Promise<Emulator> {
  const start = (perBlob: number): Promise<Emulator> =>
    startEmulator({ seed: 7, now: NOW, freezeClock: true, recordRequests: false, tenants: [oneExchangeBlobTenant(perBlob)] });
  const probe = await start(records);
  const probed = probe.tenant(DEMO_TENANT).groundTruth({ from: new Date(NOW.getTime() - HOUR_MS) }).count;
  await probe.close();
  return start(Math.round((records * records) / probed));
}

function peakRssKib(pid: number): number {
  try {
    return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

async function once(emulator: Emulator, auditfeed: AuditfeedEntry, extraFlags: readonly string[], azurite: Azurite | undefined): Promise<string> {
  const directory = await mkdtemp(join(import.meta.dirname, "..", ".tmp", "bench-blob-memory-"));
  try {
    const env = collectorEnvironment(emulator, directory, {
      ...(azurite === undefined ? {} : azurite.stateEnvironment(await azurite.createContainer())),
      AUDITFEED_CONTENT_TYPES: "Audit.Exchange",
      AUDITFEED_LOOKBACK: "2h",
      AUDITFEED_REQUESTS_PER_MINUTE: "100000",
      NODE_OPTIONS: [...auditfeed.nodeFlags, ...extraFlags].join(" "),
    });
    const started = performance.now();
    const run = runCli(["once"], env, undefined, auditfeed.script);
    const pid = run.child.pid as number;
    let peak = 0;
    let cpu = "";
    const sampler = setInterval(() => {
      peak = Math.max(peak, peakRssKib(pid));
      try {
        const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
        cpu = ((Number(fields[11]) + Number(fields[12])) / 100).toFixed(1);
      } catch {
        // The process has exited: the last sample stands.
      }
    }, 20);
    const exit = await run.exit;
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    if (exit.code !== 0) throw new Error(`auditfeed once exited ${JSON.stringify(exit)}:\n${run.stderr().slice(-3_000)}`);
    const delivered = await readDeliveredRecords(join(directory, "events"));
    const truth = emulator.tenant(DEMO_TENANT).groundTruth({ from: new Date(NOW.getTime() - 2 * HOUR_MS) }).ids;
    const missing = [...truth].filter((id) => !delivered.ids.has(id)).length;
    if (missing > 0 || delivered.ids.size !== truth.size || delivered.lines !== truth.size) {
      throw new Error(`not the ground truth: ${delivered.lines} lines, ${delivered.ids.size} ids, ${truth.size} expected, ${missing} missing`);
    }
    return `peak RSS ${(peak / 1024).toFixed(0)} MiB, ${seconds.toFixed(1)} s, CPU ${cpu} s; ${delivered.lines.toLocaleString("en-US")} records = ground truth, 0 duplicates`;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

await mkdir(join(import.meta.dirname, "..", ".tmp"), { recursive: true });
const job = await mkdtemp(join(import.meta.dirname, "..", ".tmp", "bench-blob-memory-job-"));
const emulator = await emulatorWithOneBlob();
const azurite = values.state === "blob" ? await startAzurite() : undefined;
try {
  const auditfeed = await imageEntry(job);
  const count = emulator.tenant(DEMO_TENANT).groundTruth({ from: new Date(NOW.getTime() - HOUR_MS) }).count;
  const state = azurite === undefined ? "SQLite state" : "Blob state on Azurite (its own process: its CPU and memory are not counted)";
  console.log(`blob memory: auditfeed once over one Exchange blob of ~${values.mb} MB (${count.toLocaleString("en-US")} records), file sink, ${state}`);
  console.log(`  the image's flags (${auditfeed.nodeFlags.join(" ") || "none"}): ${await once(emulator, auditfeed, [], azurite)}`);
  console.log(
    `  old space ${heapLimitMb} MiB (--max-old-space-size) too: ${await once(emulator, auditfeed, [`--max-old-space-size=${heapLimitMb}`], azurite)}`,
  );
} finally {
  await azurite?.close();
  await emulator.close();
  await rm(job, { recursive: true, force: true });
}
