/**
 * How fast the emulator serves a ten-million-event tenant: a client lists and fetches as fast as it can, and the
 * emulator (a child process, so its memory is measured alone) reports its peak RSS.
 *
 *   node bench/emulator.ts [--seconds 25] [--events 10000000] [--concurrency 16] [--records-per-blob 100]
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import tls from "node:tls";
import { ClientSecretCredential } from "@azure/identity";
import { Agent, request } from "undici";
import { CONTENT_TYPES } from "../collector/src/source/content.ts";
import type { ContentDescriptor } from "../collector/src/source/content.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "25" },
    events: { type: "string", default: "10000000" },
    concurrency: { type: "string", default: "16" },
    "records-per-blob": { type: "string", default: "100" },
  },
});
const seconds = Number(values.seconds);
const events = Number(values.events);
const concurrency = Number(values.concurrency);
const recordsPerBlob = Number(values["records-per-blob"]);
const HISTORY_HOURS = 48;
const perTypePerHour = Math.round(events / CONTENT_TYPES.length / HISTORY_HOURS);

const child = spawn(
  process.execPath,
  [
    new URL("../bin/auditfeed.js", import.meta.url).pathname,
    "emulate",
    "--freeze-clock",
    "--subscribed",
    "all",
    "--history-hours",
    String(HISTORY_HOURS),
    "--records-per-blob",
    String(recordsPerBlob),
    "--page-size",
    "1000",
    "--requests-per-minute",
    "100000000",
    ...CONTENT_TYPES.flatMap((type) => ["--rate", `${type}=${perTypePerHour}`]),
  ],
  { stdio: ["ignore", "pipe", "inherit"] },
);
let banner = "";
child.stdout.on("data", (chunk: Buffer) => (banner += chunk.toString()));
while (!banner.includes("CA file")) await once(child.stdout, "data");
const field = (label: string) => new RegExp(`^ {2}${label} +(\\S+)`, "m").exec(banner)?.[1] ?? "";
tls.setDefaultCACertificates([...tls.getCACertificates("default"), readFileSync(field("CA file"), "utf8")]);
const credential = new ClientSecretCredential(field("Tenant id"), field("Client id"), field("Client secret"), {
  authorityHost: field("Authority host"),
  disableInstanceDiscovery: true,
});
const authorization = `Bearer ${(await credential.getToken(field("Scope"))).token}`;
const root = field("Management API");
const dispatcher = new Agent({ connections: concurrency, pipelining: 1 });

function peakRssMb(): number {
  const status = readFileSync(`/proc/${child.pid ?? 0}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

const RECORD_START = Buffer.from('{"CreationTime":"');
function countRecords(body: Buffer): number {
  let count = 0;
  for (let at = body.indexOf(RECORD_START); at !== -1; at = body.indexOf(RECORD_START, at + 1)) count += 1;
  return count;
}

const queue: string[] = [];
let listingDone = false;
let listed = 0;
let fetchedBlobs = 0;
let fetchedRecords = 0;
let fetchedBytes = 0;
const started = performance.now();
const deadline = started + seconds * 1000;

async function listEverything(): Promise<void> {
  const now = Date.parse(new Date().toISOString());
  for (let end = now; end > now - HISTORY_HOURS * 3_600_000; end -= 86_400_000) {
    const startTime = new Date(end - 86_400_000).toISOString().slice(0, 23);
    const endTime = new Date(end).toISOString().slice(0, 23);
    for (const contentType of CONTENT_TYPES) {
      let url: string | undefined = `${root}/subscriptions/content?contentType=${contentType}&startTime=${startTime}&endTime=${endTime}`;
      while (url !== undefined && performance.now() < deadline) {
        const res: Awaited<ReturnType<typeof request>> = await request(url, { headers: { authorization }, dispatcher });
        const page = (await res.body.json()) as ContentDescriptor[];
        listed += page.length;
        queue.push(...page.map((d) => d.contentUri));
        const next: unknown = res.headers["nextpageuri"];
        url = typeof next === "string" ? next : undefined;
      }
    }
  }
  listingDone = true;
}

async function fetchWorker(): Promise<void> {
  while (performance.now() < deadline) {
    const uri = queue.shift();
    if (uri === undefined) {
      if (listingDone) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
      continue;
    }
    const res = await request(uri, { headers: { authorization }, dispatcher });
    const body = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode !== 200) throw new Error(`fetch answered ${res.statusCode}: ${body.toString().slice(0, 200)}`);
    fetchedBlobs += 1;
    fetchedBytes += body.length;
    fetchedRecords += countRecords(body);
  }
}

const listing = listEverything();
await Promise.all([listing, ...Array.from({ length: concurrency }, fetchWorker)]);
const elapsed = (performance.now() - started) / 1000;
const rss = peakRssMb();
child.kill("SIGTERM");
await once(child, "exit");
await dispatcher.close();

console.log(
  `emulator benchmark: tenant of ${events.toLocaleString("en-US")} events over ${HISTORY_HOURS} h, ${recordsPerBlob} records per blob, ${concurrency} concurrent fetches`,
);
console.log(`  listed      ${listed.toLocaleString("en-US")} blobs`);
console.log(
  `  fetched     ${fetchedBlobs.toLocaleString("en-US")} blobs, ${fetchedRecords.toLocaleString("en-US")} events, ${(fetchedBytes / 1e6).toFixed(1)} MB in ${elapsed.toFixed(1)} s`,
);
console.log(`  throughput  ${Math.round(fetchedRecords / elapsed).toLocaleString("en-US")} events/s, ${(fetchedBytes / 1e6 / elapsed).toFixed(1)} MB/s`);
console.log(`  peak RSS    ${rss.toFixed(0)} MB (emulator process)`);
