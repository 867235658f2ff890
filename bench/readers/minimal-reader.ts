/**
 * The reference readers bench/collector.ts compares auditfeed with, over the same emulator data and the same range:
 *
 *   --concurrency 4  the bare reader: the least work that still turns the API into NDJSON (list, fetch four blobs at
 *                    a time, `JSON.parse` each body whole, write each blob's lines with one write). No state, no
 *                    dedupe, no retry, no request budget: the machine's limit for this job.
 *   --concurrency 1  the peer-style reader: the same work one blob at a time, whole-blob fetch then parse, as the
 *                    popular collectors do (docs/performance.md, /work/shared/reference/peers.md).
 *
 *   node bench/readers/minimal-reader.ts '<JSON ReaderSpec>'
 *
 * Prints {"events":N,"blobs":N} on stdout. It never retries: any non-200 answer fails the run, so a figure is never
 * flattered by a silently skipped blob (the bench also checks the output against the emulator's ground truth).
 */
import { readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { Agent, request } from "undici";
import { CLOUDS } from "../../collector/src/config/clouds.ts";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";

export interface ReaderSpec {
  readonly managementUrl: string;
  readonly authorityUrl: string;
  readonly caFile: string;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The requested range, [since, until), listed in windows of at most 24 hours (the API's limit). */
  readonly since: string;
  readonly until: string;
  readonly contentTypes?: readonly string[];
  readonly concurrency: number;
  /** The NDJSON file written. */
  readonly out: string;
}

const DAY_MS = 86_400_000;

const spec = JSON.parse(process.argv[2] ?? "{}") as ReaderSpec;
const dispatcher = new Agent({ connect: { ca: readFileSync(spec.caFile) }, connections: spec.concurrency + 1 });
const root = `${spec.managementUrl}/api/v1.0/${spec.tenantId}/activity/feed`;

async function get(url: string, authorization: string): Promise<{ text: string; nextPage: string | undefined }> {
  const response = await request(url, { headers: { authorization }, dispatcher });
  const text = await response.body.text();
  if (response.statusCode !== 200) throw new Error(`GET ${url} answered ${response.statusCode}: ${text.slice(0, 300)}`);
  const next = response.headers["nextpageuri"];
  return { text, nextPage: typeof next === "string" ? next : undefined };
}

async function token(): Promise<string> {
  const body = new URLSearchParams({
    grant_type: "client_credentials",
    client_id: spec.clientId,
    client_secret: spec.clientSecret,
    scope: CLOUDS.commercial.scope,
  }).toString();
  const response = await request(`${spec.authorityUrl}/${spec.tenantId}/oauth2/v2.0/token`, {
    method: "POST",
    body,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    dispatcher,
  });
  const answer = (await response.body.json()) as { access_token?: string };
  if (response.statusCode !== 200 || answer.access_token === undefined) throw new Error(`the token request answered ${response.statusCode}`);
  return `Bearer ${answer.access_token}`;
}

async function listBlobs(authorization: string): Promise<string[]> {
  const uris: string[] = [];
  const until = Date.parse(spec.until);
  for (const contentType of spec.contentTypes ?? CONTENT_TYPES) {
    for (let start = Date.parse(spec.since); start < until; start += DAY_MS) {
      const window = new URLSearchParams({
        contentType,
        startTime: new Date(start).toISOString(),
        endTime: new Date(Math.min(start + DAY_MS, until)).toISOString(),
        PublisherIdentifier: spec.tenantId,
      });
      let url: string | undefined = `${root}/subscriptions/content?${window.toString()}`;
      while (url !== undefined) {
        const page = await get(url, authorization);
        for (const blob of JSON.parse(page.text) as Array<{ contentUri: string }>) uris.push(blob.contentUri);
        url = page.nextPage;
      }
    }
  }
  return uris;
}

async function main(): Promise<void> {
  const authorization = await token();
  const uris = await listBlobs(authorization);
  const file = await open(spec.out, "w");
  let writing = Promise.resolve();
  let next = 0;
  let events = 0;
  const worker = async (): Promise<void> => {
    while (next < uris.length) {
      const uri = uris[next++] as string;
      const { text } = await get(`${uri}?PublisherIdentifier=${spec.tenantId}`, authorization);
      const records = JSON.parse(text) as unknown[];
      let lines = "";
      for (const record of records) lines += `${JSON.stringify(record)}\n`;
      events += records.length;
      // One write per blob, in the order blobs finish; chained because concurrent writes to one handle may interleave.
      writing = writing.then(async () => void (await file.write(lines)));
      await writing;
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  await file.sync();
  await file.close();
  await dispatcher.close();
  process.stdout.write(`${JSON.stringify({ events, blobs: uris.length })}\n`);
}

await main();
