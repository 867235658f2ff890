import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTENT_TYPES } from "../../collector/src/source/content.ts";
import { DEMO_TENANT, demoTenant, startEmulator, type Emulator } from "../../emulator/src/index.ts";
import {
  failedRunsQuery,
  horizonQuery,
  horizonTrendQuery,
  lagQuery,
  QUARANTINED,
  quarantinedBlobQuery,
  quarantineTrendQuery,
  recordsQuery,
} from "../../infra/monitoring-queries.ts";
import { collectorEnvironment, logEntries, runCli, temporaryDirectory } from "../e2e/harness.ts";

const BLOB_FAILED = "Fetching a blob failed; it stays pending and is retried next cycle.";
const QUERIES = { failedRunsQuery, quarantinedBlobQuery, horizonQuery, recordsQuery, lagQuery, horizonTrendQuery, quarantineTrendQuery };

/** Every `e.<field>` (and `e.<field>.<field>`) a query reads from the parsed log line. */
function fieldPaths(query: string): string[] {
  return [...new Set([...query.matchAll(/\be((?:\.\w+)+)/g)].map((match) => (match[1] as string).slice(1)))];
}

/** Every message literal a query compares `e.msg` with (==, startswith). */
function messages(query: string): Array<{ operator: string; text: string }> {
  return [...query.matchAll(/\be\.msg (==|startswith) "([^"]+)"/g)].map((match) => ({ operator: match[1] as string, text: match[2] as string }));
}

function has(entry: Record<string, unknown>, path: string): boolean {
  let value: unknown = entry;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object" || !(key in value)) return false;
    value = (value as Record<string, unknown>)[key];
  }
  return value !== undefined;
}

/**
 * The stack's alert and workbook queries against the log lines the collector really writes: four runs of `auditfeed
 * once` against the emulator, with a blob that is malformed in three (quarantined in the third), a content type that cannot be listed while the first
 * run looks back six days (the horizon warning); then a run whose cycle fails as a whole and one that cannot start.
 */
describe("the stack's KQL reads only what the collector logs", () => {
  let emulator: Emulator;
  let directory: Awaited<ReturnType<typeof temporaryDirectory>>;
  const entries: Record<string, unknown>[] = [];

  beforeAll(async () => {
    emulator = await startEmulator({
      seed: 23,
      now: new Date("2026-03-04T12:00:00.000Z"),
      freezeClock: true,
      tenants: [{ ...demoTenant(), historyHours: 6 * 24 + 1, eventsPerHour: Object.fromEntries(CONTENT_TYPES.map((type) => [type, 4])) }],
    });
    directory = await temporaryDirectory();
    const env = collectorEnvironment(emulator, directory.path, { AUDITFEED_LOOKBACK: "6d" });
    emulator.script({
      op: "list-content",
      contentType: "Audit.Exchange",
      times: 1_000,
      reply: { status: 400, body: { error: { code: "AF20020", message: "The specified content type is not valid." } } },
    });
    const forbidden = { status: 403, body: { error: { code: "AF10001", message: "The permission set () does not include the expected permission." } } };
    // The same blob is not a JSON array in three runs: the third quarantines it, and the fourth reports it from the state.
    const malformed = { status: 200, body: { Id: "a JSON object where the API sends an array" } };
    let broken: string | undefined;
    for (let run = 0; run < 4; run++) {
      if (run < 3) emulator.script({ op: "fetch", contentType: "Audit.SharePoint", ...(broken === undefined ? {} : { contentId: broken }), reply: malformed });
      const once = runCli(["once"], env);
      await once.exit;
      const logged = logEntries(once.stderr());
      broken ??= logged.find((entry) => entry["msg"] === BLOB_FAILED)?.["contentId"] as string | undefined;
      entries.push(...logged);
    }
    // A cycle that fails as a whole (the subscription list is refused), then a run that cannot even open its sink.
    emulator.script({ op: "list-subscriptions", reply: forbidden });
    for (const extra of [{}, { AUDITFEED_SINK_DIR: "/dev/null/events" }]) {
      const failing = runCli(["once"], { ...env, ...extra });
      await failing.exit;
      entries.push(...logEntries(failing.stderr()));
    }
  }, 180_000);
  afterAll(async () => {
    await emulator.close();
    await directory.remove();
  });

  it.each(Object.entries(QUERIES))("%s: every field it reads is in a log line the collector wrote", (_name, query) => {
    const text = query("auditfeed-job");
    const paths = fieldPaths(text);
    expect(paths.length).toBeGreaterThan(1);
    for (const path of paths)
      expect(
        entries.some((entry) => has(entry, path)),
        `e.${path}`,
      ).toBe(true);
  });

  it.each(Object.entries(QUERIES))("%s: every message it matches is one the collector wrote, with the fields the query reads", (_name, query) => {
    const text = query("auditfeed-job");
    for (const { operator, text: literal } of messages(text)) {
      const matching = entries.filter((entry) => {
        const message = String(entry["msg"]);
        return operator === "==" ? message === literal : message.startsWith(literal);
      });
      expect(matching.length, `e.msg ${operator} "${literal}"`).toBeGreaterThan(0);
    }
  });

  it("should have produced what each alert fires on: failed runs, a blob quarantined in the state, the horizon warning", () => {
    const failed = entries.filter(
      (entry) =>
        (String(entry["msg"]).startsWith("Run finished:") && entry["exitCode"] !== 0 && entry["exitCode"] !== 6) ||
        String(entry["msg"]).startsWith("The cycle failed"),
    );
    expect(failed.length).toBeGreaterThanOrEqual(3);
    // What the quarantine query expands: per content type the count and the blobs, in the third run and again in the fourth.
    const reported = entries.filter((entry) => entry["level"] === "error" && String(entry["msg"]).startsWith(QUARANTINED));
    expect(reported).toHaveLength(2);
    for (const entry of reported) {
      expect(entry["byContentType"]).toEqual({ "Audit.SharePoint": { count: 1, blobs: [expect.objectContaining({ code: "AF_ERR_BLOB_MALFORMED" })] } });
      expect(entry["tenantId"]).toBe(DEMO_TENANT);
    }
    expect(entries.some((entry) => entry["level"] === "error" && entry["contentType"] === "Audit.Exchange" && typeof entry["horizonLeftMs"] === "number")).toBe(
      true,
    );
  });
});
