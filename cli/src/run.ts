import { setTimeout as sleep } from "node:timers/promises";
import { readArguments } from "./arguments.ts";
import { EXIT, exitCodeOfFailure, mustStop } from "./exit-codes.ts";
import { collectorHelp, openCollector } from "./open-collector.ts";
import { stopOnSignals } from "./stop-signal.ts";

/** After a failed cycle the next one waits 30 s, doubling to the poll interval: a sink outage is retried promptly. */
const FIRST_RETRY_MS = 30_000;

async function pause(ms: number, stop: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal: stop }).catch(() => undefined);
}

/** `auditfeed run`: cycles every poll interval until SIGTERM, which ends the current cycle at once (see stopOnSignals). */
export async function runCommand(args: string[]): Promise<number> {
  const read = readArguments("run", args, { help: collectorHelp("run", "[options]"), collectorOptions: true });
  if ("exit" in read) return read.exit;
  const stop = stopOnSignals();
  const opened = await openCollector("run", read.configArgs, stop);
  if ("exit" in opened) return opened.exit;
  const { collector, config, logger } = opened;
  let failures = 0;
  try {
    while (!stop.aborted) {
      try {
        await collector.cycle({ stop });
        failures = 0;
        await pause(config.pollIntervalMs, stop);
      } catch (error) {
        if (mustStop(error)) {
          logger.error("The cycle failed in a way that retrying cannot fix; stopping. Nothing after the last commit was kept.", { error });
          return exitCodeOfFailure(error);
        }
        failures++;
        const delay = Math.min(config.pollIntervalMs, FIRST_RETRY_MS * 2 ** (failures - 1));
        logger.error("The cycle failed; nothing after the last commit was kept. Retrying.", { error, failures, retryInMs: delay });
        await pause(delay, stop);
      }
    }
    logger.info("Stopped on request.");
    return EXIT.ok;
  } finally {
    await opened.close();
  }
}
