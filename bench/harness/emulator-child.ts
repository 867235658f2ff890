/**
 * The emulator's side of bench/collector.ts, in a process of its own so that neither its CPU nor its memory counts
 * against a contestant: it serves one tenant on a frozen clock until the parent disconnects, and answers over IPC:
 *
 * - `check`: reads every NDJSON file a run wrote and compares the record ids with the ground truth over the range the
 *   run was asked for (not the range it reports), by count and SHA-256 digest, counting duplicate lines;
 * - `requests`: how many Management API requests arrived, how many were throttled, and how many in each wall-clock
 *   minute (the unit of the emulator's, and the service's, request budget).
 */
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { CONTENT_TYPES, type ContentType } from "../../collector/src/source/content.ts";
import { DEMO_TENANT, demoTenant, digestRecordIds, startEmulator, type Emulator } from "../../emulator/src/index.ts";

const HOUR_MS = 3_600_000;

/** What the emulator child is started with. */
export interface EmulatorSpec {
  readonly now: string;
  readonly historyHours: number;
  readonly recordsPerBlob: number;
  readonly eventsPerHour: Partial<Record<ContentType, number>>;
  readonly requestsPerMinute: number;
  /** Added to every Management API response (the service's latency). */
  readonly slowResponseMs?: number;
  /** Set for a single-blob scenario: the records per blob are calibrated so that blob 0 holds exactly this many. */
  readonly exactBlobRecords?: number;
  /** Keep a log of requests, for the `requests` question. */
  readonly countRequests?: boolean;
}

export type ToChild = { readonly op: "check"; readonly directory: string; readonly from: string; readonly to: string } | { readonly op: "requests" };

export interface Checked {
  readonly op: "checked";
  readonly truth: number;
  readonly lines: number;
  readonly ids: number;
  readonly bytes: number;
  readonly digest: string;
  /** Set when the ids delivered differ from the ground truth. */
  readonly problem?: string;
}

export interface RequestCounts {
  readonly op: "requests";
  readonly total: number;
  /** Answered AF429 (429, or 403 without Retry-After). */
  readonly throttled: number;
  /** Requests per wall-clock minute, from the first minute with a request to the last. */
  readonly perMinute: readonly number[];
}

export type FromChild =
  { readonly op: "ready"; readonly managementUrl: string; readonly authorityUrl: string; readonly caFile: string } | Checked | RequestCounts;

function start(spec: EmulatorSpec, recordsPerBlob: number, eventsPerHour: EmulatorSpec["eventsPerHour"]): Promise<Emulator> {
  return startEmulator({
    seed: 7,
    now: new Date(spec.now),
    freezeClock: true,
    recordRequests: spec.countRequests === true,
    tenants: [
      {
        ...demoTenant(),
        subscribed: [...CONTENT_TYPES],
        historyHours: spec.historyHours,
        recordsPerBlob,
        eventsPerHour,
        requestsPerMinute: spec.requestsPerMinute,
        faults: { slowResponseMs: spec.slowResponseMs ?? 0 },
      },
    ],
  });
}

/** Every record id in the NDJSON files of a directory, read a line at a time (a run can exceed a string's limit). */
async function readDelivered(directory: string): Promise<{ ids: Set<string>; lines: number; bytes: number }> {
  const names = (await readdir(directory)).filter((name) => name.endsWith(".ndjson")).sort();
  const ids = new Set<string>();
  let lines = 0;
  let bytes = 0;
  for (const name of names) {
    const file = join(directory, name);
    bytes += (await stat(file)).size;
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (line === "") continue;
      lines++;
      ids.add((JSON.parse(line) as { Id: string }).Id);
    }
  }
  return { ids, lines, bytes };
}

async function main(spec: EmulatorSpec): Promise<void> {
  let emulator = await start(spec, spec.recordsPerBlob, spec.eventsPerHour);
  if (spec.exactBlobRecords !== undefined) {
    // A blob's size is its target x (0.5 + a fraction fixed by seed, tenant and index), so one probe finds the target.
    const from = new Date(Date.parse(spec.now) - spec.historyHours * HOUR_MS);
    const probed = emulator.tenant(DEMO_TENANT).groundTruth({ from }).count;
    const target = Math.round((spec.recordsPerBlob * spec.exactBlobRecords) / probed);
    await emulator.close();
    const scale = target / spec.recordsPerBlob;
    emulator = await start(spec, target, Object.fromEntries(Object.entries(spec.eventsPerHour).map(([type, rate]) => [type, rate * scale])));
  }
  const tenant = emulator.tenant(DEMO_TENANT);
  const perMinute = new Map<number, number>();
  let counted = 0;
  const sampler = setInterval(() => {
    const minute = Math.floor(Date.now() / 60_000);
    perMinute.set(minute, (perMinute.get(minute) ?? 0) + emulator.requests.length - counted);
    counted = emulator.requests.length;
  }, 200);

  const answer = async (message: ToChild): Promise<FromChild> => {
    if (message.op === "requests") {
      const minutes = [...perMinute.entries()].filter(([, count]) => count > 0).map(([minute]) => minute);
      const first = Math.min(...minutes);
      const last = Math.max(...minutes);
      const counts = minutes.length === 0 ? [] : Array.from({ length: last - first + 1 }, (_, index) => perMinute.get(first + index) ?? 0);
      const throttled = emulator.requests.filter((entry) => entry.status === 429 || entry.status === 403).length;
      return { op: "requests", total: emulator.requests.length, throttled, perMinute: counts };
    }
    const truth = tenant.groundTruth({ from: new Date(message.from), to: new Date(message.to) });
    const delivered = await readDelivered(message.directory);
    const digest = digestRecordIds(delivered.ids);
    const problem =
      digest === truth.digest
        ? undefined
        : `${delivered.ids.size} distinct ids delivered, ${truth.count} in the ground truth over [${message.from}, ${message.to}), digests ${digest.slice(0, 12)} and ${truth.digest.slice(0, 12)}`;
    const checked: Checked = { op: "checked", truth: truth.count, lines: delivered.lines, ids: delivered.ids.size, bytes: delivered.bytes, digest };
    return problem === undefined ? checked : { ...checked, problem };
  };
  process.on("message", (message: ToChild) => {
    void answer(message).then((reply) => process.send?.(reply));
  });
  process.once("disconnect", () => {
    clearInterval(sampler);
    void emulator.close().then(() => process.exit(0));
  });
  const ready: FromChild = { op: "ready", managementUrl: emulator.managementUrl, authorityUrl: emulator.authorityUrl, caFile: emulator.caFile };
  process.send?.(ready);
}

await main(JSON.parse(process.argv[2] ?? "{}") as EmulatorSpec);
