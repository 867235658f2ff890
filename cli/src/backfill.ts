import { parseDuration } from "../../collector/src/config/values.ts";
import { LISTING_RETENTION_MS } from "../../collector/src/pipeline/windows.ts";
import { readArguments } from "./arguments.ts";
import { EXIT, exitCodeOfFailure } from "./exit-codes.ts";
import { collectorHelp, openCollector } from "./open-collector.ts";
import { exitCodeOf } from "./outcome.ts";
import { progressReporter } from "./progress.ts";
import { stopOnSignals } from "./stop-signal.ts";

const USAGE = "--since <time> [options]   (<time>: an ISO 8601 instant such as 2026-11-20T00:00:00Z, or an age such as 36h or 3d)";

/** `--since` as written: an age before the server's now, or an instant. */
export type Since = { readonly ageMs: number; readonly text: string } | { readonly at: Date; readonly text: string };

const tooOld = (text: string): string =>
  `--since '${text}' is more than 7 days ago, and the Management API lists only the last 7 days; use --since 7d, and Purview audit search for anything older.`;

/** `--since` read without a clock (an age beyond 7 days is refused here), or a sentence saying what is wrong with it. */
export function parseSince(text: string | undefined): Since | string {
  if (text === undefined) return "--since is required: give an ISO 8601 instant (2026-11-20T00:00:00Z) or an age (36h, 3d).";
  const age = parseDuration(text);
  if (age.ok) return age.value > LISTING_RETENTION_MS ? tooOld(text) : { ageMs: age.value, text };
  const at = new Date(text);
  if (Number.isNaN(at.getTime())) return `--since '${text}' is neither an ISO 8601 instant (2026-11-20T00:00:00Z) nor an age (36h, 3d).`;
  return { at, text };
}

/**
 * The start instant on the Management API's clock (the one that decides what can still be listed, whatever the
 * machine's clock says), or a sentence saying why it cannot be listed.
 */
export function sinceOnServerClock(since: Since, serverNow: Date): Date | string {
  const at = "ageMs" in since ? new Date(serverNow.getTime() - since.ageMs) : since.at;
  if (at > serverNow)
    return `--since '${since.text}' is in the future on the Management API's clock (${serverNow.toISOString()}); give an instant in the last 7 days.`;
  if (serverNow.getTime() - at.getTime() > LISTING_RETENTION_MS) return tooOld(since.text);
  return at;
}

/** `auditfeed backfill --since <time>`: one cycle that re-lists from `since`; the ledger keeps it duplicate-free. */
export async function backfillCommand(args: string[]): Promise<number> {
  const read = readArguments("backfill", args, { help: collectorHelp("backfill", USAGE), flags: { since: { type: "string" } }, collectorOptions: true });
  if ("exit" in read) return read.exit;
  const sinceText = read.values["since"];
  const since = parseSince(typeof sinceText === "string" ? sinceText : undefined);
  if (typeof since === "string") {
    process.stderr.write(`auditfeed backfill: ${since}\n`);
    return EXIT.config;
  }
  const stop = stopOnSignals();
  const opened = await openCollector("backfill", read.configArgs, stop);
  if ("exit" in opened) return opened.exit;
  const { collector, logger } = opened;
  const progress = progressReporter();
  try {
    const start = sinceOnServerClock(since, await collector.serverNow(stop));
    if (typeof start === "string") {
      process.stderr.write(`auditfeed backfill: ${start}\n`);
      return EXIT.config;
    }
    const report = await collector.cycle({ since: start, stop, onProgress: (update) => progress.update(update) });
    progress.done();
    return exitCodeOf(report);
  } catch (error) {
    progress.done();
    if (stop.aborted) {
      logger.warn("The backfill stopped before it started; nothing was committed.", { reason: (stop.reason as Error).message });
      return EXIT.partial;
    }
    logger.error("The backfill failed; what was committed stays, and running it again resumes without duplicates.", { error });
    return exitCodeOfFailure(error);
  } finally {
    await opened.close();
  }
}
