/**
 * auditfeed against the machine's limit, over the same emulator data in the same run: each contestant is a process
 * of its own, timed whole (start-up and logging included), its CPU and peak RSS its own resource usage:
 *
 *   bare       bench/readers/minimal-reader.ts --concurrency 4: list, fetch 4 blobs at a time, JSON.parse, one
 *              NDJSON write per blob; no state, no dedupe (the limit)
 *   peer       the same, one blob at a time, whole-blob fetch then parse (how the popular peers work)
 *   auditfeed  `auditfeed backfill --since <start>` with the file sink and SQLite state: dedupe, state and fsync on;
 *              started as the container image starts it (the job bundle and its Node flags: harness/image-entry.ts)
 *   auditfeed-blob  the same with its state in Blob storage, as the Container Apps Job keeps it: Azurite, started
 *              here in a process of its own (--disableTelemetry), a new container per run. Azurite's CPU is not
 *              counted (in Azure the storage service does that work); the collector's requests, uploads and
 *              downloads are. CPU-bound backfill only.
 *
 * Every run is verified: the ids it wrote must equal the emulator's ground truth over the requested range (count and
 * SHA-256 digest), auditfeed's with no duplicate line. The figures and the machine go to bench/results/<time>.json
 * (see bench/README.md), and the table is printed in markdown for docs/performance.md.
 *
 *   node bench/collector.ts [--events 300000] [--pairs 3] [--skip latency,blob,budget] [--blob-mb 100] [--cpu-prof]
 *                           [--cli <another checkout>] ...
 *
 * Scenarios: backfill (CPU-bound: request budget raised, emulator quota lifted; --pairs rounds, the contestants'
 * order alternating), latency (--latency-ms per response, --latency-events), blob (one blob of --blob-mb MB),
 * budget (auditfeed alone at the default 2,000 requests/minute, enforced by the emulator too: throttled requests and
 * requests per full minute).
 */
import { fork } from "node:child_process";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readdirSync, readFileSync, statfsSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CONTENT_TYPES, type ContentType } from "../collector/src/source/content.ts";
import { startAzurite, type Azurite } from "../test/fixtures/azurite.ts";
import { CONTESTANTS, isAuditfeed, runContestant, type Contestant, type Endpoints } from "./harness/contestants.ts";
import { imageEntry, type AuditfeedEntry } from "./harness/image-entry.ts";
import type { Checked, EmulatorSpec, FromChild, RequestCounts, ToChild } from "./harness/emulator-child.ts";

const HOUR_MS = 3_600_000;
const DEFAULT_BUDGET = 2_000;
const UNLIMITED = 100_000_000;
/** Average size of an emulated Exchange record on one line, measured; only used to aim the big blob at --blob-mb. */
const EXCHANGE_RECORD_BYTES = 1_105;
const SCENARIOS = ["backfill", "latency", "blob", "budget"] as const;
type Scenario = (typeof SCENARIOS)[number];
const RESULTS = join(import.meta.dirname, "results");

interface Run {
  readonly contestant: Contestant;
  readonly events: number;
  readonly bytes: number;
  readonly wallSeconds: number;
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
  readonly eventsPerSecond: number;
  readonly cpuMicrosPerEvent: number;
  readonly duplicateLines: number;
}

interface ScenarioResult {
  readonly scenario: Scenario;
  readonly title: string;
  /** Records in the ground truth over the requested range. */
  events: number;
  readonly runs: Run[];
  requests?: Omit<RequestCounts, "op">;
}

const { values } = parseArgs({
  options: {
    events: { type: "string", default: process.env["AUDITFEED_BENCH_EVENTS"] ?? "300000" },
    hours: { type: "string", default: "48" },
    "records-per-blob": { type: "string", default: "400" },
    pairs: { type: "string", default: "3" },
    "latency-ms": { type: "string", default: "100" },
    "latency-events": { type: "string", default: "60000" },
    "blob-mb": { type: "string", default: "100" },
    "budget-blobs": { type: "string", default: "4500" },
    "raised-budget": { type: "string", default: "100000" },
    "fetch-concurrency": { type: "string", default: "4" },
    "heap-limit-mb": { type: "string" },
    "cpu-prof": { type: "boolean", default: false },
    cli: { type: "string" },
    skip: { type: "string", default: process.env["AUDITFEED_BENCH_SKIP"] ?? "" },
  },
});
const positive = (name: keyof typeof values): number => {
  const value = Number(values[name]);
  if (!(value > 0 && Number.isFinite(value))) throw new RangeError(`--${name} must be a positive number; got ${String(values[name])}.`);
  return value;
};
const settings = {
  events: positive("events"),
  hours: positive("hours"),
  recordsPerBlob: positive("records-per-blob"),
  pairs: positive("pairs"),
  latencyMs: positive("latency-ms"),
  latencyEvents: positive("latency-events"),
  blobMb: positive("blob-mb"),
  budgetBlobs: positive("budget-blobs"),
  raisedBudget: positive("raised-budget"),
  fetchConcurrency: positive("fetch-concurrency"),
  heapLimitMb: values["heap-limit-mb"] === undefined ? undefined : positive("heap-limit-mb"),
  cpuProfile: values["cpu-prof"],
  cli: values.cli,
};
if (settings.hours > 7 * 24 - 1) throw new RangeError(`--hours must stay inside the API's 7-day listing limit (at most 167); got ${values.hours}.`);
const skip = values.skip.split(",").filter((name) => name !== "");
const unknown = skip.filter((name) => !(SCENARIOS as readonly string[]).includes(name));
if (unknown.length > 0) throw new RangeError(`--skip: unknown scenario ${unknown.join(", ")}; the scenarios are ${SCENARIOS.join(", ")}.`);

/** The directory runs write into: it must be a real disk, since fsync on tmpfs costs nothing and flatters auditfeed. */
function workRoot(): string {
  const root = process.env["AUDITFEED_BENCH_DIR"] ?? join(import.meta.dirname, ".work");
  mkdirSync(root, { recursive: true });
  const type = statfsSync(root).type;
  // TMPFS_MAGIC and RAMFS_MAGIC (linux/magic.h).
  if (type === 0x01021994 || type === 0x858458f6) {
    throw new Error(`${root} is in memory (tmpfs); set AUDITFEED_BENCH_DIR to a directory on a real disk.`);
  }
  return root;
}

class EmulatorChild {
  readonly #child;
  private constructor(child: ReturnType<typeof fork>) {
    this.#child = child;
  }

  static async start(spec: EmulatorSpec): Promise<{ emulator: EmulatorChild; endpoints: Endpoints }> {
    const child = fork(join(import.meta.dirname, "harness", "emulator-child.ts"), [JSON.stringify(spec)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const [ready] = (await once(child, "message")) as [FromChild];
    if (ready.op !== "ready") throw new Error("the emulator child did not start");
    return { emulator: new EmulatorChild(child), endpoints: ready };
  }

  async ask<T extends FromChild>(question: ToChild): Promise<T> {
    this.#child.send(question);
    const [answer] = (await once(this.#child, "message")) as [T];
    return answer;
  }

  async close(): Promise<void> {
    this.#child.disconnect();
    await once(this.#child, "exit");
  }
}

interface Plan {
  readonly scenario: Scenario;
  readonly title: string;
  readonly spec: EmulatorSpec;
  readonly contentTypes: readonly ContentType[];
  readonly requestsPerMinute: number;
  readonly rounds: ReadonlyArray<readonly Contestant[]>;
}

function backfillSpec(events: number, recordsPerBlob: number, hours: number, requestsPerMinute: number, slowResponseMs = 0): EmulatorSpec {
  // A little more than asked, so the tenant holds at least `events` after the blobs' ±50% sizes average out.
  const perTypePerHour = Math.ceil((events * 1.01) / CONTENT_TYPES.length / hours);
  return {
    now: wholeSecond(new Date()).toISOString(),
    historyHours: hours,
    recordsPerBlob,
    eventsPerHour: Object.fromEntries(CONTENT_TYPES.map((type) => [type, perTypePerHour])),
    requestsPerMinute,
    slowResponseMs,
    countRequests: requestsPerMinute !== UNLIMITED,
  };
}

/** The scenarios other than the CPU-bound backfill compare the readers with auditfeed on its default (SQLite) state. */
const SQLITE_CONTESTANTS = CONTESTANTS.filter((contestant) => contestant !== "auditfeed-blob");

function plans(): Plan[] {
  const alternating = Array.from({ length: settings.pairs }, (_, round) => (round % 2 === 0 ? [...CONTESTANTS] : [...CONTESTANTS].reverse()));
  const count = (value: number): string => value.toLocaleString("en-US");
  const all: Plan[] = [
    {
      scenario: "backfill",
      title: `CPU-bound backfill, ~${count(settings.events)} events over ${settings.hours} h (${settings.recordsPerBlob} records per blob ±50%), ${settings.pairs} alternated rounds, medians`,
      spec: backfillSpec(settings.events, settings.recordsPerBlob, settings.hours, UNLIMITED),
      contentTypes: CONTENT_TYPES,
      requestsPerMinute: settings.raisedBudget,
      rounds: alternating,
    },
    {
      scenario: "latency",
      title: `${settings.latencyMs} ms per response, ~${count(settings.latencyEvents)} events`,
      spec: backfillSpec(settings.latencyEvents, settings.recordsPerBlob, settings.hours, UNLIMITED, settings.latencyMs),
      contentTypes: CONTENT_TYPES,
      requestsPerMinute: settings.raisedBudget,
      rounds: [SQLITE_CONTESTANTS],
    },
  ];
  const records = Math.round((settings.blobMb * 1e6) / EXCHANGE_RECORD_BYTES);
  all.push({
    scenario: "blob",
    title: `one blob of ~${settings.blobMb} MB (${count(records)} Exchange records)`,
    spec: {
      now: wholeSecond(new Date()).toISOString(),
      historyHours: 1,
      recordsPerBlob: records,
      // One blob every 1.5 h over 1 h of history: blob 0 (created in the first 45 min) is the only one.
      eventsPerHour: { "Audit.Exchange": records / 1.5 },
      requestsPerMinute: UNLIMITED,
      exactBlobRecords: records,
    },
    contentTypes: ["Audit.Exchange"],
    requestsPerMinute: DEFAULT_BUDGET,
    rounds: [SQLITE_CONTESTANTS],
  });
  const budgetRecordsPerBlob = 50;
  all.push({
    scenario: "budget",
    title: `auditfeed at the default budget (${count(DEFAULT_BUDGET)} requests/min, enforced by the emulator), ~${count(settings.budgetBlobs)} blobs of ${budgetRecordsPerBlob} records`,
    spec: backfillSpec(settings.budgetBlobs * budgetRecordsPerBlob, budgetRecordsPerBlob, settings.hours, DEFAULT_BUDGET),
    contentTypes: CONTENT_TYPES,
    requestsPerMinute: DEFAULT_BUDGET,
    rounds: [["auditfeed"]],
  });
  return all.filter((plan) => !skip.includes(plan.scenario));
}

async function runPlan(plan: Plan, root: string, auditfeed: AuditfeedEntry): Promise<ScenarioResult> {
  const { emulator, endpoints } = await EmulatorChild.start(plan.spec);
  const azurite: Azurite | undefined = plan.rounds.some((round) => round.includes("auditfeed-blob")) ? await startAzurite() : undefined;
  const until = new Date(plan.spec.now);
  const since = new Date(until.getTime() - plan.spec.historyHours * HOUR_MS);
  const result: ScenarioResult = { scenario: plan.scenario, title: plan.title, events: 0, runs: [] };
  try {
    for (const round of plan.rounds) {
      for (const contestant of round) {
        const directory = await mkdtemp(join(root, `${plan.scenario}-${contestant}-`));
        const container = contestant === "auditfeed-blob" ? await azurite?.createContainer() : undefined;
        const blobState = container === undefined ? undefined : azurite?.stateEnvironment(container);
        try {
          const figures = await runContestant({
            contestant,
            endpoints,
            directory,
            since,
            until,
            contentTypes: plan.contentTypes,
            requestsPerMinute: plan.requestsPerMinute,
            fetchConcurrency: settings.fetchConcurrency,
            ...(settings.heapLimitMb === undefined ? {} : { heapLimitMb: settings.heapLimitMb }),
            ...(settings.cpuProfile ? { cpuProfileDirectory: join(RESULTS, "profiles") } : {}),
            auditfeed,
            ...(blobState === undefined ? {} : { blobState }),
          });
          const checked = await emulator.ask<Checked>({
            op: "check",
            directory: join(directory, "events"),
            from: since.toISOString(),
            to: until.toISOString(),
          });
          if (checked.problem !== undefined) throw new Error(`${contestant} (${plan.scenario}) does not match the emulator's ground truth: ${checked.problem}`);
          const duplicateLines = checked.lines - checked.ids;
          if (isAuditfeed(contestant) && duplicateLines > 0) throw new Error(`${contestant} (${plan.scenario}) wrote ${duplicateLines} duplicate lines`);
          result.events = checked.truth;
          const run: Run = {
            contestant,
            events: checked.ids,
            bytes: checked.bytes,
            ...figures,
            eventsPerSecond: checked.ids / figures.wallSeconds,
            cpuMicrosPerEvent: (figures.cpuSeconds * 1e6) / checked.ids,
            duplicateLines,
          };
          result.runs.push(run);
          console.log(
            `  ${plan.scenario.padEnd(8)} ${contestant.padEnd(14)} ${fmt(run.eventsPerSecond)} events/s, ${run.cpuMicrosPerEvent.toFixed(1)} µs CPU/event, ${run.wallSeconds.toFixed(1)} s, peak RSS ${mib(run.peakRssBytes)} MiB; verified ${fmt(checked.ids)} ids = ground truth`,
          );
        } finally {
          await rm(directory, { recursive: true, force: true });
          if (container !== undefined) await azurite?.service.getContainerClient(container).delete();
        }
      }
    }
    if (plan.spec.countRequests === true) {
      const { total, throttled, perMinute } = await emulator.ask<RequestCounts>({ op: "requests" });
      result.requests = { total, throttled, perMinute };
    }
  } finally {
    await azurite?.close();
    await emulator.close();
  }
  return result;
}

function median(numbers: readonly number[]): number {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? NaN) : ((sorted[middle - 1] ?? NaN) + (sorted[middle] ?? NaN)) / 2;
}

interface Summary {
  readonly contestant: Contestant;
  readonly eventsPerSecond: number;
  readonly cpuMicrosPerEvent: number;
  readonly peakRssBytes: number;
}

function summarise(result: ScenarioResult): Summary[] {
  return CONTESTANTS.flatMap((contestant) => {
    const runs = result.runs.filter((run) => run.contestant === contestant);
    if (runs.length === 0) return [];
    return [
      {
        contestant,
        eventsPerSecond: median(runs.map((run) => run.eventsPerSecond)),
        cpuMicrosPerEvent: median(runs.map((run) => run.cpuMicrosPerEvent)),
        peakRssBytes: Math.max(...runs.map((run) => run.peakRssBytes)),
      },
    ];
  });
}

function printTable(result: ScenarioResult): void {
  const rows = summarise(result);
  const bare = rows.find((row) => row.contestant === "bare");
  console.log(`\n${result.title}: ${fmt(result.events)} events in the ground truth\n`);
  console.log("| reader | events/s | CPU µs/event | events/s ÷ bare | CPU/event ÷ bare | peak RSS |");
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const row of rows) {
    const ratio = (value: number | undefined): string => (value === undefined || !Number.isFinite(value) ? "–" : `${value.toFixed(2)}×`);
    console.log(
      `| ${row.contestant} | ${fmt(row.eventsPerSecond)} | ${row.cpuMicrosPerEvent.toFixed(1)} | ${ratio(bare && row.eventsPerSecond / bare.eventsPerSecond)} | ${ratio(bare && row.cpuMicrosPerEvent / bare.cpuMicrosPerEvent)} | ${mib(row.peakRssBytes)} MiB |`,
    );
  }
  if (result.requests !== undefined) {
    const { total, throttled, perMinute } = result.requests;
    const full = perMinute.slice(1, -1);
    console.log(
      `\nrequests ${fmt(total)}, throttled ${fmt(throttled)} (${((100 * throttled) / Math.max(total, 1)).toFixed(2)} %); per wall-clock minute ${perMinute.map(fmt).join(", ")}` +
        (full.length === 0
          ? " (no full minute: raise --budget-blobs)"
          : `; full minutes used ${full.map((count) => `${((100 * count) / DEFAULT_BUDGET).toFixed(0)} %`).join(", ")} of the budget`),
    );
  }
}

/** The previous results file, to print how auditfeed's CPU per event moved since. */
function previousResults(): { file: string; scenarios: ScenarioResult[] } | undefined {
  const names = readdirSync(RESULTS, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".json"))
    .map((entry) => entry.name)
    .sort();
  const last = names.at(-1);
  if (last === undefined) return undefined;
  return { file: last, scenarios: (JSON.parse(readFileSync(join(RESULTS, last), "utf8")) as { scenarios: ScenarioResult[] }).scenarios };
}

function commitOf(): string {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: import.meta.dirname, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--", ":/collector", ":/cli", ":/bench"], {
      cwd: import.meta.dirname,
      encoding: "utf8",
    }).trim();
    return dirty === "" ? head : `${head}+changes`;
  } catch {
    return "unknown";
  }
}

async function main(): Promise<void> {
  const root = workRoot();
  mkdirSync(RESULTS, { recursive: true });
  const previous = previousResults();
  const cpus = os.cpus();
  const machine = {
    cores: os.availableParallelism(),
    cpu: cpus[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    loadBefore: os.loadavg(),
  };
  const startedAt = new Date();
  const version = settings.cli === undefined ? `commit ${commitOf()}` : `auditfeed from ${settings.cli} (harness at commit ${commitOf()})`;
  const auditfeed = await imageEntry(join(root, "job"), settings.cli);
  console.log(
    `auditfeed benchmark ${startedAt.toISOString()}, ${version} (${[...auditfeed.nodeFlags, "job bundle"].join(" ")}): ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB, Node ${machine.node}; load ${machine.loadBefore.map((load) => load.toFixed(2)).join(" ")}; runs in ${root}`,
  );
  if ((machine.loadBefore[0] ?? 0) > machine.cores / 2)
    console.log(`  NOTE: the machine is busy (load ${machine.loadBefore[0]?.toFixed(2)}): the figures are noisy; rerun when it is quieter.`);
  const results: ScenarioResult[] = [];
  for (const plan of plans()) results.push(await runPlan(plan, root, auditfeed));
  for (const result of results) printTable(result);
  if (previous !== undefined) {
    const before = new Map(previous.scenarios.map((result) => [result.scenario, summarise(result)]));
    const moves = results.flatMap((result) =>
      summarise(result)
        .filter((now) => isAuditfeed(now.contestant))
        .flatMap((now) => {
          const was = before.get(result.scenario)?.find((row) => row.contestant === now.contestant);
          const label = now.contestant === "auditfeed" ? result.scenario : `${result.scenario} (${now.contestant})`;
          return was === undefined ? [] : [`${label} ${was.cpuMicrosPerEvent.toFixed(1)} → ${now.cpuMicrosPerEvent.toFixed(1)}`];
        }),
    );
    if (moves.length > 0) console.log(`\nauditfeed CPU µs/event since ${previous.file}: ${moves.join(", ")}`);
  }
  const file = join(RESULTS, `${startedAt.toISOString().replaceAll(":", "-")}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ startedAt, commit: commitOf(), machine: { ...machine, loadAfter: os.loadavg() }, settings, scenarios: results }, null, 2)}\n`,
  );
  console.log(`\nresults: ${file}`);
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function mib(bytes: number): string {
  return (bytes / 1_048_576).toFixed(0);
}

function wholeSecond(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

await main();
