import { readArguments } from "./arguments.ts";
import { exitCodeOfFailure } from "./exit-codes.ts";
import { collectorHelp, openCollector } from "./open-collector.ts";
import { exitCodeOf } from "./outcome.ts";
import { stopOnSignals } from "./stop-signal.ts";
import { logRunSummary } from "./summary.ts";

/** `auditfeed once`: one full cycle, what the Container Apps Job runs on its schedule. The exit code is the outcome. */
export async function onceCommand(args: string[]): Promise<number> {
  const read = readArguments("once", args, { help: collectorHelp("once", "[options]"), collectorOptions: true });
  if ("exit" in read) return read.exit;
  const stop = stopOnSignals();
  const opened = await openCollector("once", read.configArgs, stop);
  if ("exit" in opened) return opened.exit;
  const { collector, logger } = opened;
  try {
    const report = await collector.cycle({ stop });
    const exitCode = exitCodeOf(report);
    logRunSummary(logger, report, collector.status(), exitCode);
    return exitCode;
  } catch (error) {
    logger.error("The cycle failed; nothing after the last commit was kept, and the next run starts from there.", { error });
    return exitCodeOfFailure(error);
  } finally {
    await opened.close();
  }
}
