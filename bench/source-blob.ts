/**
 * Streams one large content blob (default 100 MB) from a local HTTPS server through ManagementClient.fetchContent and
 * prints throughput and peak memory: the blob must never sit in memory whole.
 * Usage: node --expose-gc bench/source-blob.ts [megabytes]
 * Add --max-old-space-size=64 to prove the bound: a 200 MB blob still streams through a 64 MB heap.
 */
import { silentLogger } from "../collector/src/log/logger.ts";
import { createCredential } from "../collector/src/source/credential.ts";
import { JsonArraySplitter } from "../collector/src/source/json-array-splitter.ts";
import { ManagementClient } from "../collector/src/source/management-client.ts";
import { CONTENT_TYPES, type ContentType } from "../collector/src/source/content.ts";
import { generateRecord } from "../emulator/src/content/records.ts";
import { startAuthority, startHttpsServer, TENANT, testConfig } from "../test/collector/source/fixtures/servers.ts";

const megabytes = Number(process.argv[2] ?? 100);
const targetBytes = megabytes * 1_000_000;

/** A realistic Exchange record of about 1.3 KB, unique per index. */
function record(index: number): string {
  return JSON.stringify({
    CreationTime: "2026-11-23T05:00:00",
    Id: `3f9e8d7c-6b5a-4948-3726-${String(index).padStart(12, "0")}`,
    Operation: "MailItemsAccessed",
    OrganizationId: TENANT,
    RecordType: 50,
    ResultStatus: "Succeeded",
    UserKey: "10032001ABCDE123",
    Workload: "Exchange",
    ClientIP: "203.0.113.45",
    UserId: "megan.ortiz@fabrikam.com",
    ClientInfoString: 'Client=OWA;Action=ViaProxy "quoted" [brackets] {braces}',
    OperationProperties: [
      { Name: "MailAccessType", Value: "Bind" },
      { Name: "IsThrottled", Value: "False" },
    ],
    Folders: [
      {
        Id: "LgAAAADfakeFolderId==",
        Path: "\\Inbox",
        FolderItems: Array.from({ length: 6 }, (_, item) => ({
          InternetMessageId: `<PH0PR11MB${index}-${item}@namprd11.prod.outlook.com>`,
          SizeInBytes: 48_213 + item,
        })),
      },
    ],
    Note: "unicode é 漢字 🙂",
  });
}

const sampleRecordBytes = Buffer.byteLength(record(0)) + 1;
const recordCount = Math.ceil(targetBytes / sampleRecordBytes);

const authority = await startAuthority();
const api = await startHttpsServer(async (_req, res) => {
  res.writeHead(200, { "content-type": "application/json" });
  res.write("[");
  for (let index = 0; index < recordCount; index += 200) {
    const chunk = Array.from({ length: Math.min(200, recordCount - index) }, (_, offset) => record(index + offset)).join(",");
    const more = res.write(index === 0 ? chunk : `,${chunk}`);
    if (!more) await new Promise((resolve) => res.once("drain", resolve));
  }
  res.end("]");
});

let peakRss = 0;
let peakHeap = 0;
const sample = (): void => {
  const usage = process.memoryUsage();
  peakRss = Math.max(peakRss, usage.rss);
  peakHeap = Math.max(peakHeap, usage.heapUsed + usage.external + usage.arrayBuffers);
};
globalThis.gc?.();
const baseline = process.memoryUsage();
const sampler = setInterval(sample, 20);

const config = testConfig(api.origin, authority.server.origin);
const client = new ManagementClient({ config, credential: createCredential(config), logger: silentLogger });
const started = performance.now();
let records = 0;
let bytes = 0;
for await (const batch of client.fetchContent({
  contentType: "Audit.Exchange",
  contentId: "bench",
  contentUri: `${api.origin}/api/v1.0/${TENANT}/activity/feed/audit/bench`,
  contentCreated: "2026-11-23T05:00:00.000Z",
  contentExpiration: "2026-11-30T05:00:00.000Z",
})) {
  records += batch.length;
  for (const item of batch) bytes += item.bytes.length + 1;
  sample();
}
const seconds = (performance.now() - started) / 1000;
clearInterval(sampler);
await client.close();
await api.close();
await authority.server.close();

// The splitter alone, on bytes already in memory, to separate parsing cost from the network: 100 x a 1 MB stretch of
// records in 64 KiB chunks, in three passes (V8 reaches its final code for the loop during the first two), on the
// Exchange records above and on the emulator's mix of every content type. Its CPU time too: on a shared machine the
// wall clock also counts the time spent waiting for a core.
function splitterAlone(lines: string[]): string {
  const stretch = Buffer.from(lines.map((line) => `${line},`).join(""));
  const passes: string[] = [];
  for (let pass = 0; pass < 3; pass++) {
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const splitter = new JsonArraySplitter();
    splitter.push(Buffer.from("["));
    for (let round = 0; round < 100; round++) {
      for (let offset = 0; offset < stretch.length; offset += 65_536) splitter.push(stretch.subarray(offset, offset + 65_536));
    }
    splitter.push(Buffer.from(`${lines[0]}]`));
    splitter.end();
    const cpu = process.cpuUsage(cpuStarted);
    const mebibytes = (stretch.length * 100) / 1_048_576;
    passes.push(`${(mebibytes / ((performance.now() - started) / 1000)).toFixed(0)} (CPU ${(mebibytes / ((cpu.user + cpu.system) / 1e6)).toFixed(0)})`);
  }
  return `${passes.join(", ")} MiB/s`;
}
const exchange = splitterAlone(Array.from({ length: 800 }, (_, index) => record(index)));
const mixed = splitterAlone(
  Array.from({ length: 1_000 }, (_, index) =>
    JSON.stringify(
      generateRecord(CONTENT_TYPES[index % CONTENT_TYPES.length] as ContentType, {
        id: `3f9e8d7c-6b5a-4948-3726-${String(index).padStart(12, "0")}`,
        eventMs: Date.UTC(2026, 10, 23, 5) + index * 1_000,
        tenantId: TENANT,
        seed: index,
      }),
    ),
  ),
);

const mb = (value: number): string => (value / 1_048_576).toFixed(1);
console.log(`blob: ${mb(bytes)} MiB, ${records} records, ${seconds.toFixed(2)} s over HTTPS on loopback`);
console.log(`throughput: ${(records / seconds).toFixed(0)} records/s, ${(bytes / 1_048_576 / seconds).toFixed(1)} MiB/s`);
console.log(
  `memory: baseline rss ${mb(baseline.rss)} MiB; peak rss ${mb(peakRss)} MiB; peak heap+external ${mb(peakHeap)} MiB (server and client share this process)`,
);
console.log(`splitter alone, three passes: Exchange records ${exchange}; the emulator's mix ${mixed}`);
