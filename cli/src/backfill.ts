import { parseDuration } from "../../collector/src/config/values.ts";
import { LISTING_RETENTION_MS } from "../../collector/src/pipeline/windows.ts";
import { EXIT, exitCodeOfFailure } from "./exit-codes.ts";
import { openCollector } from "./open-collector.ts";
import { exitCodeOf } from "./outcome.ts";
import { progressReporter } from "./progress.ts";
import { stopOnSignals } from "./stop-signal.ts";

const USAGE = "--since <time> [options]   (<time>: an ISO 8601 instant such as 2026-11-20T00:00:00Z, or an age such as 36h or 3d)";

/** The start instant, or a sentence saying what is wrong with it. */
export function parseSince(text: string | undefined, now: Date): Date | string {
  if (text === undefined) return "--since is required: give an ISO 8601 instant (2026-11-20T00:00:00Z) or an age (36h, 3d).";
  const age = parseDuration(text);
  const since = age.ok ? new Date(now.getTime() - age.value) : new Date(text);
  if (Number.isNaN(since.getTime())) return `--since '${text}' is neither an ISO 8601 instant (2026-11-20T00:00:00Z) nor an age (36h, 3d).`;
  if (since > now) return `--since '${text}' is in the future; give an instant in the last 7 days.`;
  if (now.getTime() - since.getTime() > LISTING_RETENTION_MS) {
    return `--since '${text}' is more than 7 days ago, and the Management Activity API lists only the last 7 days; use --since 7d, and Purview audit search for anything older.`;
  }
  return since;
}

/** Takes `--since <time>` / `--since=<time>` out of the arguments; the rest are collector options. */
function splitSince(args: readonly string[]): { since?: string; rest: string[] } {
  const rest: string[] = [];
  let since: string | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] as string;
    if (arg === "--since") since = args[++index];
    else if (arg.startsWith("--since=")) since = arg.slice("--since=".length);
    else rest.push(arg);
  }
  return since === undefined ? { rest } : { since, rest };
}

/** `auditfeed backfill --since <time>`: one cycle that re-lists from `since`; the ledger keeps it duplicate-free. */
export async function backfillCommand(args: string[]): Promise<number> {
  const { since: sinceText, rest } = splitSince(args);
  const wantsHelp = args.includes("--help") || args.includes("-h");
  const since = wantsHelp ? new Date() : parseSince(sinceText, new Date());
  if (typeof since === "string") {
    process.stderr.write(`auditfeed backfill: ${since}\n`);
    return EXIT.config;
  }
  const opened = await openCollector("backfill", USAGE, rest);
  if ("exit" in opened) return opened.exit;
  const { collector, logger } = opened;
  const progress = progressReporter();
  try {
    const report = await collector.cycle({ since, stop: stopOnSignals(), onProgress: (update) => progress.update(update) });
    progress.done();
    return exitCodeOf(report);
  } catch (error) {
    progress.done();
    logger.error("The backfill failed; what was committed stays, and running it again resumes without duplicates.", { error });
    return exitCodeOfFailure(error);
  } finally {
    await collector.close();
  }
}
