import { existsSync } from "node:fs";
import { configHelp, loadConfig, type CollectorConfig } from "../../collector/src/config/config.ts";
import { isAuditfeedError } from "../../collector/src/errors.ts";
import { contentTypeStatuses, HORIZON_WARNING_MS, type ContentTypeStatus } from "../../collector/src/health/status.ts";
import { createStateStore, describeState } from "../../collector/src/state/index.ts";
import type { FailedBlob, StateSnapshot } from "../../collector/src/state/store.ts";
import { EXIT } from "./exit-codes.ts";
import { humanDuration } from "./summary.ts";

const HELP = `Usage: auditfeed status [--json] [options]

Reads the state store (between runs: a running collector holds it) and prints per content type the newest
contentCreated delivered, the lag, the backlog of listed but undelivered blobs still retried, the quarantined blobs
(no longer fetched: each with its content id, error code, first and last failure), the time left before the 7-day
horizon loses data, records, blobs and duplicates so far, and errors by code; then throttling and retries.
--json prints the same as one JSON object. Exit code: 0, or 1 when a content type is within 24 hours of its
horizon or the state cannot be read, 2 on a configuration error. It takes the collector's options:

`;

type Write = (text: string) => void;

/**
 * `auditfeed status [--json]`: where each content type stands, from the state store alone (no network). `serverNow`
 * is the Management API's clock; by default this host's clock corrected by the skew the last cycle measured.
 */
export async function statusCommand(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: Write = (text) => process.stdout.write(text),
  serverNow?: () => Date,
): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    out(`${HELP}${configHelp()}`);
    return EXIT.ok;
  }
  const json = args.includes("--json");
  let config: CollectorConfig;
  try {
    config = loadConfig({ argv: args.filter((arg) => arg !== "--json"), env, cwd: process.cwd() });
  } catch (error) {
    if (!isAuditfeedError(error)) throw error;
    process.stderr.write(`auditfeed status: ${error.message}\n`);
    return EXIT.config;
  }
  const state = await readState(config);
  if (typeof state === "string") {
    process.stderr.write(`auditfeed status: ${state}\n`);
    return EXIT.partial;
  }
  const { snapshot, failed } = state;
  // The server's clock as the last cycle measured it against this host's; status itself talks to no server.
  const now = serverNow?.() ?? new Date(Date.now() + snapshot.stats.clockSkewMs);
  const statuses = contentTypeStatuses(snapshot.cursors, snapshot.stats, config.contentTypes, now, failed);
  const { throttled, retries, clockSkewMs } = snapshot.stats;
  out(
    json
      ? `${JSON.stringify({ state: describeState(config.state), now: now.toISOString(), clockSkewMs, throttled, retries, contentTypes: statuses }, null, 2)}\n`
      : table(statuses, snapshot, config),
  );
  return statuses.some((status) => status.horizonLeftMs < HORIZON_WARNING_MS) ? EXIT.partial : EXIT.ok;
}

/** The snapshot and the failed blobs, or why there are none. The store is opened as the collector opens it, then closed at once. */
async function readState(config: CollectorConfig): Promise<{ snapshot: StateSnapshot; failed: FailedBlob[] } | string> {
  const where = describeState(config.state);
  if (config.state.kind === "sqlite" && !existsSync(config.state.path))
    return `there is no state at ${where} yet: the collector has not run with this state location.`;
  const store = createStateStore(config.state, { dedupeHorizonMs: config.dedupeHorizonMs, now: () => new Date() });
  try {
    const snapshot = await store.open();
    const failed = await store.failedBlobs();
    await store.close();
    return { snapshot, failed };
  } catch (error) {
    if (isAuditfeedError(error) && (error.code === "AF_ERR_STATE_LOCKED" || error.code === "AF_ERR_STATE_HELD")) {
      return `${error.message} status reads the state between runs; while \`auditfeed run\` holds it, read its metrics endpoint instead.`;
    }
    return isAuditfeedError(error) ? error.message : String(error);
  }
}

const number = (value: number): string => value.toLocaleString("en-US");

function table(statuses: readonly ContentTypeStatus[], snapshot: StateSnapshot, config: CollectorConfig): string {
  const header = ["content type", "newest delivered", "lag", "backlog", "quarantined", "horizon in", "records", "blobs", "duplicates", "expired"];
  const rows = statuses.map((status) => [
    status.contentType,
    status.newestDelivered ?? "none yet",
    status.lagMs === null ? "-" : humanDuration(status.lagMs),
    number(status.backlog),
    number(status.quarantined.length),
    `${humanDuration(status.horizonLeftMs)}${status.horizonLeftMs < HORIZON_WARNING_MS ? " !" : ""}`,
    number(status.records),
    number(status.blobs),
    number(status.duplicates),
    number(status.expired),
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: readonly string[]): string => `  ${cells.map((cell, column) => cell.padEnd(widths[column] as number)).join("  ")}`.trimEnd();
  const errors = statuses.flatMap((status) =>
    Object.entries(status.errors).map(([code, seen]) => `  ${status.contentType} ${code}: ${seen.count}x, last at ${seen.lastAt}: ${seen.message}`),
  );
  const quarantined = statuses.flatMap((status) =>
    status.quarantined.map(
      (blob) =>
        `  ${status.contentType} ${blob.contentId} (created ${blob.contentCreated}) ${blob.code}: failed ${blob.failures}x from ${blob.firstFailedAt} to ${blob.lastFailedAt}: ${blob.message}`,
    ),
  );
  const near = statuses.filter((status) => status.horizonLeftMs < HORIZON_WARNING_MS).map((status) => status.contentType);
  return [
    `auditfeed status: tenant ${config.tenantId}, state ${describeState(config.state)}`,
    "",
    line(header),
    ...rows.map(line),
    "",
    `Throttling: ${number(snapshot.stats.throttled)} throttled responses, ${number(snapshot.stats.retries)} retried requests.`,
    errors.length === 0 ? "Errors: none." : `Errors by code:\n${errors.join("\n")}`,
    quarantined.length === 0
      ? "Quarantined blobs: none."
      : `Quarantined blobs (not fetched again; their records are not delivered: recover them with Purview audit search):\n${quarantined.join("\n")}`,
    near.length === 0 ? "" : `\n! ${near.join(", ")} within 24 hours of the 7-day horizon: content not collected by then is lost. Run auditfeed doctor.`,
    "",
  ].join("\n");
}
