import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { setTimeout as sleep } from "node:timers/promises";
import { emulatorEnvironment } from "../../cli/src/emulator-environment.ts";
import { loadConfig, type CollectorConfig } from "../../collector/src/config/config.ts";
import { CONTENT_TYPES, type ContentType } from "../../collector/src/source/content.ts";
import type { ContentTypeCursor } from "../../collector/src/state/store.ts";
import type { ContentTypeReport } from "../../collector/src/pipeline/cycle.ts";
import { DEMO_TENANT, demoTenant, type Emulator, type TenantOptions } from "../../emulator/src/index.ts";

export const ROOT = resolve(import.meta.dirname, "../..");

/**
 * The demo tenant with one Exchange blob of about `recordsPerBlob` records and nothing else: one blob every 1.5 hours
 * over 1 hour of history, so blob 0 is the only one (the emulator sizes it at its target x (0.5 + a fraction fixed by
 * seed, tenant and index)).
 */
export function oneExchangeBlobTenant(recordsPerBlob: number): TenantOptions {
  return {
    ...demoTenant(),
    subscribed: ["Audit.Exchange"],
    historyHours: 1,
    recordsPerBlob,
    eventsPerHour: Object.fromEntries(CONTENT_TYPES.map((type) => [type, type === "Audit.Exchange" ? recordsPerBlob / 1.5 : 0])),
    requestsPerMinute: 100_000,
  };
}
export const AUDITFEED = join(ROOT, "bin/auditfeed.js");

/** Backoff short enough for tests that script many transient failures; the shape stays the production one. */
export const FAST_RETRY = { initialDelayInMs: 20, maxRetryDelayInMs: 200, maxElapsedInMs: 60_000 };

export async function temporaryDirectory(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "auditfeed-e2e-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** The environment a user would give the collector container to point it at the emulator, plus `extra`. */
export function collectorEnvironment(emulator: Emulator, directory: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...emulatorEnvironment(emulator, directory), ...extra };
}

export function collectorConfig(emulator: Emulator, directory: string, extra: Record<string, string> = {}): CollectorConfig {
  return loadConfig({ argv: [], env: collectorEnvironment(emulator, directory, extra), cwd: directory });
}

export interface CliRun {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: () => string;
  readonly stderr: () => string;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The log entries so far, parsed once each as their lines arrive (a line cut off by SIGKILL is skipped). */
  readonly logs: () => readonly Record<string, unknown>[];
  /**
   * Resolves true as soon as a log entry matches (checked on each line as it arrives, not by polling), false when the
   * process exits first or `timeoutMs` passes.
   */
  readonly waitForLog: (matches: (entry: Record<string, unknown>) => boolean, timeoutMs: number) => Promise<boolean>;
}

/**
 * libfaketime's variables, when the suite runs under `faketime` (how the suite is shown not to depend on the date), so
 * that the collector's process sees the same faked clock as the test's; empty otherwise.
 */
const FAKED_CLOCK = Object.fromEntries(Object.entries(process.env).filter(([key]) => key === "LD_PRELOAD" || key.startsWith("FAKETIME")));

/** `auditfeed <args>` (or another copy of the entry) in a child process, on the Node that runs the tests, with only the given environment. */
export function runCli(args: readonly string[], env: Record<string, string>, cwd = ROOT, entry = AUDITFEED): CliRun {
  const child = spawn(process.execPath, [entry, ...args], { cwd, env: { PATH: process.env["PATH"] ?? "", ...FAKED_CLOCK, ...env } });
  let stdout = "";
  let stderr = "";
  let partial = "";
  const logs: Record<string, unknown>[] = [];
  const waiters = new Set<(entry: Record<string, unknown> | undefined) => void>();
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    stderr += text;
    const lines = (partial + text).split("\n");
    partial = lines.pop() ?? "";
    for (const entry of logEntries(lines.join("\n"))) {
      logs.push(entry);
      for (const waiter of waiters) waiter(entry);
    }
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on("close", (code, signal) => {
      for (const waiter of waiters) waiter(undefined);
      done({ code, signal });
    }),
  );
  let exited = false;
  void exit.then(() => (exited = true));
  const waitForLog = (matches: (entry: Record<string, unknown>) => boolean, timeoutMs: number): Promise<boolean> => {
    if (logs.some(matches)) return Promise.resolve(true);
    if (exited) return Promise.resolve(false);
    return new Promise((resolve) => {
      const settle = (found: boolean): void => {
        clearTimeout(timer);
        waiters.delete(waiter);
        resolve(found);
      };
      const waiter = (entry: Record<string, unknown> | undefined): void => {
        if (entry === undefined) settle(false);
        else if (matches(entry)) settle(true);
      };
      const timer = setTimeout(() => settle(false), timeoutMs);
      waiters.add(waiter);
    });
  };
  return { child, stdout: () => stdout, stderr: () => stderr, exit, logs: () => logs, waitForLog };
}

/**
 * The emulator's ground truth over what the collector listed: per content type, from the start of its first cycle's
 * range to the end of its last cycle's (ranges can differ by a second between types, as server time is re-measured).
 */
export function groundTruthOver(emulator: Emulator, first: readonly ContentTypeReport[], last: readonly ContentTypeReport[]): Set<string> {
  const truth = new Set<string>();
  for (const start of first) {
    const end = last.find((entry) => entry.contentType === start.contentType)?.range?.end;
    if (start.range === undefined || end === undefined) throw new Error(`${start.contentType} was never listed; the test setup is wrong.`);
    const ids = emulator.tenant(DEMO_TENANT).groundTruth({ from: start.range.start, to: end, contentTypes: [start.contentType] }).ids;
    for (const id of ids) truth.add(id);
  }
  return truth;
}

/** Every record the emulator's tenant can give over each content type's committed range [origin, listedThrough) in `cursors`. */
export function groundTruthOfCursors(emulator: Emulator, tenantId: string, cursors: Readonly<Partial<Record<ContentType, ContentTypeCursor>>>): Set<string> {
  const truth = new Set<string>();
  for (const type of CONTENT_TYPES) {
    const cursor = cursors[type];
    if (cursor?.listedThrough === null || cursor === undefined) throw new Error(`${type} has no committed cursor`);
    const range = { from: new Date(cursor.origin), to: new Date(cursor.listedThrough), contentTypes: [type] };
    for (const id of emulator.tenant(tenantId).groundTruth(range).ids) truth.add(id);
  }
  return truth;
}

/** Bytes in the file sink's NDJSON segments now, committed or not; a segment deleted while it is read counts as empty. */
export async function segmentBytes(directory: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(directory).catch(() => [])) {
    if (!name.endsWith(".ndjson")) continue;
    total += await stat(join(directory, name)).then(
      (found) => found.size,
      () => 0,
    );
  }
  return total;
}

/** A content type's cursor as the collector committed it: the listed range is [origin, listedThrough). */
export interface CommittedCursor {
  readonly origin: Date;
  readonly listedThrough: Date | null;
}

/**
 * The cursors in a collector's SQLite state, read-only. Only once no collector has the file open: a running one holds
 * an exclusive lock, and one that exited cleanly has folded its write-ahead log into the file.
 */
export function committedCursors(statePath: string): Map<ContentType, CommittedCursor> {
  const db = new DatabaseSync(statePath, { readOnly: true });
  try {
    const rows = db.prepare("SELECT content_type, origin, listed_through FROM cursors").all();
    return new Map(
      rows.map((row) => [
        row["content_type"] as ContentType,
        { origin: new Date(String(row["origin"])), listedThrough: row["listed_through"] === null ? null : new Date(String(row["listed_through"])) },
      ]),
    );
  } finally {
    db.close();
  }
}

/** Resident memory of a live process, in bytes (Linux /proc), or undefined once it has exited. */
export async function residentBytes(pid: number): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => undefined);
  const kib = status === undefined ? undefined : /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib) * 1024;
}

/** The collector's log: one JSON object per stderr line (lines that are not JSON, such as a usage error, are skipped). */
export function logEntries(stderr: string): Record<string, unknown>[] {
  const entries: Record<string, unknown>[] = [];
  for (const line of stderr.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      entries.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A line cut off by SIGKILL.
    }
  }
  return entries;
}

/** Polls `condition` every `everyMs` until it holds (true) or `timeoutMs` passes (false). */
export async function pollUntil(condition: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(everyMs);
  }
}
