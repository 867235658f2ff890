/**
 * Runs one contestant of bench/collector.ts as a process of its own, timed whole (start-up, logging and exit
 * included): auditfeed as its image starts it (`auditfeed backfill --since`; see image-entry.ts) with SQLite state
 * (`auditfeed`) or with its state in Blob storage (`auditfeed-blob`: Azurite, a process of its own whose CPU is not
 * counted), or a reference reader (bench/readers/minimal-reader.ts).
 * CPU time and peak RSS are the process's own resource usage (bench/harness/process-usage.ts).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, openSync, closeSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { emulatorEnvironment } from "../../cli/src/emulator-environment.ts";
import { DEMO_APP, DEMO_TENANT } from "../../emulator/src/index.ts";
import type { ReaderSpec } from "../readers/minimal-reader.ts";
import type { AuditfeedEntry } from "./image-entry.ts";

export const CONTESTANTS = ["bare", "peer", "auditfeed", "auditfeed-blob"] as const;
export type Contestant = (typeof CONTESTANTS)[number];

/** The contestants that run auditfeed (on either state store). */
export function isAuditfeed(contestant: Contestant): boolean {
  return contestant === "auditfeed" || contestant === "auditfeed-blob";
}

const REPO = join(import.meta.dirname, "..", "..");
const USAGE_HOOK = join(import.meta.dirname, "process-usage.ts");

export interface Endpoints {
  readonly managementUrl: string;
  readonly authorityUrl: string;
  readonly caFile: string;
}

export interface RunRequest {
  readonly contestant: Contestant;
  readonly endpoints: Endpoints;
  /** A fresh directory on the disk measured: output in `events/`, auditfeed's state beside it, the logs. */
  readonly directory: string;
  readonly since: Date;
  readonly until: Date;
  readonly contentTypes: readonly string[];
  readonly requestsPerMinute: number;
  readonly fetchConcurrency: number;
  /** auditfeed only: --max-old-space-size, to show that the memory it holds is bounded. */
  readonly heapLimitMb?: number;
  /** How auditfeed is started (image-entry.ts); the readers ignore it. */
  readonly auditfeed: AuditfeedEntry;
  /** auditfeed only: write a V8 CPU profile (`--cpu-prof`) of the process into this directory. */
  readonly cpuProfileDirectory?: string;
  /**
   * auditfeed-blob only: the collector's Blob state settings (`AUDITFEED_STATE=azblob://<account>/<container>`, the
   * blob endpoint, the account key), as a job configures its Blob state, pointing at Azurite.
   */
  readonly blobState?: Readonly<Record<string, string>>;
}

export interface ProcessFigures {
  readonly wallSeconds: number;
  /** User + system CPU of the contestant's process. */
  readonly cpuSeconds: number;
  readonly peakRssBytes: number;
}

/** Runs the contestant to its end; throws (naming its log) when it exits non-zero. */
export async function runContestant(run: RunRequest): Promise<ProcessFigures> {
  const events = join(run.directory, "events");
  mkdirSync(events, { recursive: true });
  const usageFile = join(run.directory, "usage.json");
  const { script, args, env } = command(run, events);
  const stdout = openSync(join(run.directory, "stdout.log"), "w");
  const stderr = openSync(join(run.directory, "stderr.log"), "w");
  const auditfeed = isAuditfeed(run.contestant);
  const execArgv: string[] = auditfeed ? [...run.auditfeed.nodeFlags] : [];
  if (auditfeed && run.heapLimitMb !== undefined) execArgv.push(`--max-old-space-size=${run.heapLimitMb}`);
  if (auditfeed && run.cpuProfileDirectory !== undefined) execArgv.push("--cpu-prof", `--cpu-prof-dir=${run.cpuProfileDirectory}`);
  const started = performance.now();
  const child = spawn(process.execPath, [...execArgv, "--import", USAGE_HOOK, script, ...args], {
    cwd: run.directory,
    env: { ...withoutAuditfeedVariables(process.env), ...env, BENCH_USAGE_FILE: usageFile },
    stdio: ["ignore", stdout, stderr],
  });
  const [code] = (await once(child, "exit")) as [number | null];
  const wallSeconds = (performance.now() - started) / 1000;
  closeSync(stdout);
  closeSync(stderr);
  if (code !== 0) throw new Error(`${run.contestant} exited with ${String(code)}; see ${join(run.directory, "stderr.log")}`);
  const usage = JSON.parse(readFileSync(usageFile, "utf8")) as NodeJS.ResourceUsage;
  return { wallSeconds, cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6, peakRssBytes: usage.maxRSS * 1024 };
}

function command(run: RunRequest, events: string): { script: string; args: string[]; env: Record<string, string> } {
  if (run.contestant === "auditfeed-blob" && run.blobState === undefined) throw new Error("auditfeed-blob needs the Blob state settings (blobState).");
  if (isAuditfeed(run.contestant)) {
    return {
      script: run.auditfeed.script,
      args: ["backfill", "--since", run.since.toISOString()],
      env: {
        ...emulatorEnvironment(run.endpoints, run.directory),
        AUDITFEED_REQUESTS_PER_MINUTE: String(run.requestsPerMinute),
        AUDITFEED_FETCH_CONCURRENCY: String(run.fetchConcurrency),
        AUDITFEED_CONTENT_TYPES: run.contentTypes.join(","),
        ...(run.contestant === "auditfeed-blob" ? run.blobState : {}),
      },
    };
  }
  const spec: ReaderSpec = {
    ...run.endpoints,
    tenantId: DEMO_TENANT,
    clientId: DEMO_APP.clientId,
    clientSecret: DEMO_APP.secret,
    since: run.since.toISOString(),
    until: run.until.toISOString(),
    contentTypes: run.contentTypes,
    concurrency: run.contestant === "bare" ? run.fetchConcurrency : 1,
    out: join(events, `${run.contestant}.ndjson`),
  };
  return { script: join(REPO, "bench", "readers", "minimal-reader.ts"), args: [JSON.stringify(spec)], env: {} };
}

/** The contestants get only the settings the bench gives them, whatever the shell exports. */
function withoutAuditfeedVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => !entry[0].startsWith("AUDITFEED_") && entry[1] !== undefined));
}
