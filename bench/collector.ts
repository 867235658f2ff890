/**
 * Throughput and peak memory of the whole collector: `Collector.open` + one `cycle()` (what `auditfeed backfill`
 * does) into the file sink, against the emulator running in a child process so that the collector's memory is
 * measured alone. Every run is checked: the ids delivered must equal the emulator's ground truth (count and digest),
 * with no duplicate line.
 *
 *   node bench/collector.ts [--events 1000000] [--records-per-blob 400] [--hours 48] [--raised-budget 100000]
 *                           [--fetch-concurrency 4] [--blob-mb 100] [--skip default-budget,blob] [--heap-limit-mb N]
 *
 * --heap-limit-mb runs the collector's process with --max-old-space-size=N: finishing under a small limit shows that
 * the memory held is bounded, whatever the peak figures (V8 collects lazily when it has room) suggest.
 *
 * Scenarios, in order:
 *   raised-budget   a backfill of --events with the request budget raised, so the figure is the collector's own speed;
 *   default-budget  the same backfill at the documented default of 2,000 requests/minute (the emulator enforces the
 *                   same quota), which is what a real tenant allows;
 *   blob            one blob of about --blob-mb MB.
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import v8 from "node:v8";
import { emulatorEnvironment } from "../cli/src/emulator-environment.ts";
import { Collector } from "../collector/src/collector.ts";
import { loadConfig } from "../collector/src/config/config.ts";
import { silentLogger } from "../collector/src/log/logger.ts";
import type { CycleReport } from "../collector/src/pipeline/cycle.ts";
import { readDeliveredRecords } from "../collector/src/sinks/file/delivered-records.ts";
import { CONTENT_TYPES, type ContentType } from "../collector/src/source/content.ts";
import { DEMO_TENANT, demoTenant, digestRecordIds, startEmulator } from "../emulator/src/index.ts";

const HOUR_MS = 3_600_000;
const DEFAULT_BUDGET = 2_000;
/** Average size of an emulated Exchange record on one line, measured; only used to aim the big blob at --blob-mb. */
const EXCHANGE_RECORD_BYTES = 1_105;

/** What the emulator child is started with. */
interface EmulatorSpec {
  readonly now: string;
  readonly historyHours: number;
  readonly recordsPerBlob: number;
  readonly eventsPerHour: Partial<Record<ContentType, number>>;
  readonly requestsPerMinute: number;
  /** Set for the single-blob scenario: the records per blob are calibrated so that blob 0 holds exactly this many. */
  readonly exactBlobRecords?: number;
}

/** Asks the emulator child to compare a sink directory with its ground truth over the ranges the cycle listed. */
type ToChild = { readonly op: "check"; readonly directory: string; readonly ranges: ReadonlyArray<{ contentType: ContentType; from: string; to: string }> };
type FromChild =
  | { readonly op: "ready"; readonly managementUrl: string; readonly authorityUrl: string; readonly caFile: string }
  | { readonly op: "checked"; readonly lines: number; readonly bytes: number; readonly problem?: string; readonly digest: string };

/**
 * The emulator's side: serves until the parent disconnects, and checks a delivery against the ground truth over IPC.
 * The check reads everything delivered, so it runs here, away from the collector's process and its memory figures.
 */
async function emulatorChild(spec: EmulatorSpec): Promise<void> {
  const start = (recordsPerBlob: number, eventsPerHour: EmulatorSpec["eventsPerHour"]) =>
    startEmulator({
      seed: 7,
      now: new Date(spec.now),
      freezeClock: true,
      recordRequests: false,
      tenants: [
        {
          ...demoTenant(),
          subscribed: [...CONTENT_TYPES],
          historyHours: spec.historyHours,
          recordsPerBlob,
          eventsPerHour,
          requestsPerMinute: spec.requestsPerMinute,
        },
      ],
    });
  const from = new Date(Date.parse(spec.now) - spec.historyHours * HOUR_MS);
  let emulator = await start(spec.recordsPerBlob, spec.eventsPerHour);
  if (spec.exactBlobRecords !== undefined) {
    // A blob's size is its target x (0.5 + a fraction fixed by seed, tenant and index), so one probe finds the target.
    const probed = emulator.tenant(DEMO_TENANT).groundTruth({ from }).count;
    const target = Math.round((spec.recordsPerBlob * spec.exactBlobRecords) / probed);
    await emulator.close();
    const scale = target / spec.recordsPerBlob;
    emulator = await start(target, Object.fromEntries(Object.entries(spec.eventsPerHour).map(([type, rate]) => [type, rate * scale])));
  }
  const tenant = emulator.tenant(DEMO_TENANT);
  process.on("message", (message: ToChild) => {
    void check(message).then((reply) => process.send?.(reply));
  });
  const check = async (message: ToChild): Promise<FromChild> => {
    const truth = new Set<string>();
    for (const range of message.ranges) {
      for (const id of tenant.groundTruth({ from: new Date(range.from), to: new Date(range.to), contentTypes: [range.contentType] }).ids) truth.add(id);
    }
    const delivered = await readDeliveredRecords(message.directory);
    let bytes = 0;
    for (const file of delivered.files) bytes += (await stat(file)).size;
    const digest = digestRecordIds(delivered.ids);
    const expected = digestRecordIds(truth);
    const duplicates = delivered.lines - delivered.ids.size;
    const problem =
      digest === expected && duplicates === 0
        ? undefined
        : `${delivered.ids.size} ids delivered (${duplicates} duplicate lines), ${truth.size} in the ground truth, digests ${digest} and ${expected}`;
    return problem === undefined ? { op: "checked", lines: delivered.lines, bytes, digest } : { op: "checked", lines: delivered.lines, bytes, digest, problem };
  };
  process.once("disconnect", () => void emulator.close().then(() => process.exit(0)));
  const ready: FromChild = { op: "ready", managementUrl: emulator.managementUrl, authorityUrl: emulator.authorityUrl, caFile: emulator.caFile };
  process.send?.(ready);
}

interface Measured {
  readonly report: CycleReport;
  readonly seconds: number;
  readonly peakRss: number;
  readonly peakHeap: number;
  readonly emulatorPeakRss: number;
  /** RSS of the collector's process before `Collector.open`: Node and the loaded modules. */
  readonly baselineRss: number;
  /** Buffers and other memory outside the V8 heap that JS objects hold (sampled, like the heap). */
  readonly peakExternal: number;
  /** CPU time (user + system) over the run, of the collector's process and of the emulator's. */
  readonly cpuSeconds: number;
  readonly emulatorCpuSeconds: number;
  readonly deliveredBytes: number;
  readonly lines: number;
  readonly verified: string;
}

const SCENARIOS = ["raised-budget", "default-budget", "blob"] as const;
type Scenario = (typeof SCENARIOS)[number];

/**
 * Runs each scenario in a fresh process of this script (whose child is the emulator), so that one scenario's peak
 * memory, and the memory of checking its delivery, never shows up in the next one's figures.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      events: { type: "string", default: "1000000" },
      "records-per-blob": { type: "string", default: "400" },
      hours: { type: "string", default: "48" },
      "raised-budget": { type: "string", default: "100000" },
      "fetch-concurrency": { type: "string", default: "4" },
      "blob-mb": { type: "string", default: "100" },
      skip: { type: "string", default: "" },
      "heap-limit-mb": { type: "string" },
      scenario: { type: "string" },
    },
  });
  const positive = (name: keyof typeof values): number => {
    const value = Number(values[name]);
    if (!(value > 0 && Number.isFinite(value))) throw new RangeError(`--${name} must be a positive number; got ${String(values[name])}.`);
    return value;
  };
  const settings: Settings = {
    events: positive("events"),
    recordsPerBlob: positive("records-per-blob"),
    hours: positive("hours"),
    raisedBudget: positive("raised-budget"),
    fetchConcurrency: positive("fetch-concurrency"),
    blobMb: positive("blob-mb"),
  };
  if (settings.hours > 7 * 24 - 1) throw new RangeError(`--hours must stay inside the API's 7-day listing limit (at most 167); got ${values.hours}.`);
  const names = [...values.skip.split(",").filter((name) => name !== ""), ...(values.scenario === undefined ? [] : [values.scenario])];
  const unknown = names.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new RangeError(`Unknown scenario ${unknown.join(", ")}: the scenarios are ${SCENARIOS.join(", ")}.`);
  if (values.scenario !== undefined) {
    await runScenario(values.scenario as Scenario, settings);
    return;
  }
  const skip = new Set(values.skip.split(",").filter((name) => name !== ""));
  const cpus = os.cpus();
  console.log(
    `auditfeed collector benchmark: ${cpus.length} cores (${cpus[0]?.model.trim() ?? "unknown"}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform} ${process.arch}`,
  );
  const limit = values["heap-limit-mb"] === undefined ? "" : `, old space limited to ${values["heap-limit-mb"]} MiB`;
  console.log(
    `  collector: one bench process per scenario (file sink, SQLite state, fetchConcurrency ${settings.fetchConcurrency}${limit}); emulator: its child process; MB = 10^6 bytes of NDJSON delivered`,
  );
  for (const scenario of SCENARIOS) {
    if (skip.has(scenario)) continue;
    const execArgv = values["heap-limit-mb"] === undefined ? [] : [`--max-old-space-size=${values["heap-limit-mb"]}`];
    const run = fork(import.meta.filename, [...process.argv.slice(2), "--scenario", scenario], { execArgv, stdio: "inherit" });
    const [code] = (await once(run, "exit")) as [number | null];
    if (code !== 0) throw new Error(`scenario ${scenario} failed (exit code ${String(code)})`);
  }
}

interface Settings {
  readonly events: number;
  readonly recordsPerBlob: number;
  readonly hours: number;
  readonly raisedBudget: number;
  readonly fetchConcurrency: number;
  readonly blobMb: number;
}

async function runScenario(scenario: Scenario, settings: Settings): Promise<void> {
  const { events, recordsPerBlob, hours, raisedBudget, fetchConcurrency, blobMb } = settings;
  // A little more than asked, so the tenant holds at least --events after the blobs' ±50% sizes average out.
  const perTypePerHour = Math.ceil((events * 1.01) / CONTENT_TYPES.length / hours);
  const backfill = (budget: number): EmulatorSpec => ({
    now: wholeSecond(new Date()).toISOString(),
    historyHours: hours,
    recordsPerBlob,
    eventsPerHour: Object.fromEntries(CONTENT_TYPES.map((type) => [type, perTypePerHour])),
    requestsPerMinute: budget,
  });
  if (scenario === "raised-budget") {
    const run = await measure(backfill(100_000_000), { budget: raisedBudget, fetchConcurrency });
    printBackfill(
      `1) backfill, RAISED budget (${raisedBudget.toLocaleString("en-US")} requests/min): the collector's own throughput`,
      run,
      recordsPerBlob,
      hours,
    );
  } else if (scenario === "default-budget") {
    const run = await measure(backfill(DEFAULT_BUDGET), { budget: DEFAULT_BUDGET, fetchConcurrency });
    printBackfill(
      `2) backfill, DEFAULT budget (${DEFAULT_BUDGET.toLocaleString("en-US")} requests/min, enforced by the emulator too): what a real tenant allows`,
      run,
      recordsPerBlob,
      hours,
    );
    const perBlob = run.lines / blobsOf(run.report);
    console.log(
      `   note        the budget allows a burst of ${DEFAULT_BUDGET} requests, then ${DEFAULT_BUDGET}/min: sustained, a backfill is capped at ${DEFAULT_BUDGET} blobs/min = ${Math.round((DEFAULT_BUDGET / 60) * perBlob).toLocaleString("en-US")} events/s at ${Math.round(perBlob)} records per blob`,
    );
  } else {
    const records = Math.round((blobMb * 1e6) / EXCHANGE_RECORD_BYTES);
    const spec: EmulatorSpec = {
      now: wholeSecond(new Date()).toISOString(),
      historyHours: 1,
      recordsPerBlob: records,
      // One blob every 1.5 h over 1 h of history: blob 0 (created in the first 45 min) is the only one.
      eventsPerHour: { "Audit.Exchange": records / 1.5 },
      requestsPerMinute: 100_000_000,
      exactBlobRecords: records,
    };
    const run = await measure(spec, { budget: DEFAULT_BUDGET, fetchConcurrency, contentTypes: ["Audit.Exchange"] });
    console.log(`3) a single blob of ${(run.deliveredBytes / 1e6).toFixed(1)} MB (${run.lines.toLocaleString("en-US")} Exchange records), default budget`);
    printFigures(run);
  }
}

function printBackfill(title: string, run: Measured, recordsPerBlob: number, hours: number): void {
  const blobs = blobsOf(run.report);
  console.log(title);
  console.log(
    `   tenant      ${blobs.toLocaleString("en-US")} blobs over ${hours} h, ${recordsPerBlob} records per blob ±50%, ${CONTENT_TYPES.length} content types`,
  );
  printFigures(run);
}

function printFigures(run: Measured): void {
  const mb = run.deliveredBytes / 1e6;
  console.log(
    `   delivered   ${run.lines.toLocaleString("en-US")} events, ${mb.toFixed(1)} MB in ${run.seconds.toFixed(1)} s wall (Collector.open + one cycle)`,
  );
  console.log(`   throughput  ${Math.round(run.lines / run.seconds).toLocaleString("en-US")} events/s, ${(mb / run.seconds).toFixed(1)} MB/s`);
  console.log(
    `   cpu         collector ${run.cpuSeconds.toFixed(1)} s (${(run.cpuSeconds / run.seconds).toFixed(2)} cores), emulator ${run.emulatorCpuSeconds.toFixed(1)} s (${(run.emulatorCpuSeconds / run.seconds).toFixed(2)} cores)`,
  );
  console.log(
    `   memory      collector peak RSS ${mib(run.peakRss)} MiB (${mib(run.baselineRss)} MiB before open), peak heap ${mib(run.peakHeap)} MiB, peak external ${mib(run.peakExternal)} MiB (emulator process: peak RSS ${mib(run.emulatorPeakRss)} MiB)`,
  );
  console.log(`   verified    ${run.verified}`);
}

async function measure(spec: EmulatorSpec, options: { budget: number; fetchConcurrency: number; contentTypes?: ContentType[] }): Promise<Measured> {
  const child = fork(import.meta.filename, ["--emulator-child", JSON.stringify(spec)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const directory = await mkdtemp(join(os.tmpdir(), "auditfeed-bench-collector-"));
  try {
    const [ready] = (await once(child, "message")) as [FromChild];
    if (ready.op !== "ready") throw new Error("the emulator child did not start");
    const config = loadConfig({
      argv: [],
      cwd: directory,
      env: {
        ...emulatorEnvironment(ready, directory),
        AUDITFEED_REQUESTS_PER_MINUTE: String(options.budget),
        AUDITFEED_FETCH_CONCURRENCY: String(options.fetchConcurrency),
        AUDITFEED_CONTENT_TYPES: (options.contentTypes ?? CONTENT_TYPES).join(","),
      },
    });
    const since = new Date(Date.parse(spec.now) - spec.historyHours * HOUR_MS);

    const baselineRss = process.memoryUsage.rss();
    resetPeakRss();
    let peakHeap = 0;
    let peakExternal = 0;
    const sampleHeap = (): void => {
      const heap = v8.getHeapStatistics();
      peakHeap = Math.max(peakHeap, heap.used_heap_size);
      peakExternal = Math.max(peakExternal, heap.external_memory);
    };
    const sampler = setInterval(sampleHeap, 100);
    const emulatorCpuBefore = cpuSecondsOf(String(child.pid));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const collector = await Collector.open(config, silentLogger);
    let report: CycleReport;
    try {
      report = await collector.cycle({ since, onProgress: sampleHeap });
    } finally {
      await collector.close();
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const emulatorCpuSeconds = cpuSecondsOf(String(child.pid)) - emulatorCpuBefore;
    clearInterval(sampler);
    sampleHeap();
    const peakRss = peakRssOf("self");
    const emulatorPeakRss = peakRssOf(String(child.pid));

    const failures = report.contentTypes.filter((entry) => entry.error !== undefined || entry.failed > 0);
    if (failures.length > 0) throw new Error(`the cycle did not deliver everything: ${JSON.stringify(failures)}`);
    const ranges = report.contentTypes.flatMap((entry) =>
      entry.range === undefined ? [] : [{ contentType: entry.contentType, from: entry.range.start.toISOString(), to: entry.range.end.toISOString() }],
    );
    const question: ToChild = { op: "check", directory: join(directory, "events"), ranges };
    child.send(question);
    const [checked] = (await once(child, "message")) as [FromChild];
    if (checked.op !== "checked") throw new Error("the emulator child did not answer the check");
    if (checked.problem !== undefined) throw new Error(`the delivery does not match the emulator's ground truth: ${checked.problem}`);
    return {
      report,
      seconds,
      peakRss,
      peakHeap,
      emulatorPeakRss,
      baselineRss,
      peakExternal,
      cpuSeconds,
      emulatorCpuSeconds,
      deliveredBytes: checked.bytes,
      lines: checked.lines,
      verified: `${checked.lines.toLocaleString("en-US")} ids delivered = emulator ground truth (count and SHA-256 digest ${checked.digest.slice(0, 12)}…), 0 duplicate lines`,
    };
  } finally {
    child.disconnect();
    await once(child, "exit");
    await rm(directory, { recursive: true, force: true });
  }
}

function blobsOf(report: CycleReport): number {
  return report.contentTypes.reduce((total, entry) => total + entry.blobs, 0);
}

/** Linux: writing 5 to clear_refs resets VmHWM, so each scenario's peak is its own and not an earlier one's. */
function resetPeakRss(): void {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // Not Linux, or not allowed: the peak then covers the whole process so far, which the figure still bounds.
  }
}

function peakRssOf(pid: string): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** utime + stime from /proc/<pid>/stat, in seconds (clock ticks are 100 per second on Linux). */
function cpuSecondsOf(pid: string): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / 100;
}

function mib(bytes: number): string {
  return (bytes / 1_048_576).toFixed(0);
}

function wholeSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

if (process.argv[2] === "--emulator-child") await emulatorChild(JSON.parse(process.argv[3] ?? "{}") as EmulatorSpec);
else await main();
