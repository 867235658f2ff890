import { Collector } from "../../collector/src/collector.ts";
import { configHelp, loadConfig, type CollectorConfig } from "../../collector/src/config/config.ts";
import { isAuditfeedError } from "../../collector/src/errors.ts";
import { fileSinkReadingHelp } from "../../collector/src/sinks/file/reading-rules.ts";
import { createLogger, type Logger } from "../../collector/src/log/logger.ts";
import { EXIT, exitCodeOfFailure } from "./exit-codes.ts";
import { startTelemetry, type Telemetry } from "./telemetry.ts";

export type Opened =
  | {
      readonly collector: Collector;
      readonly config: CollectorConfig;
      readonly logger: Logger;
      /** Closes the collector, then pushes the last metrics and closes the metrics endpoint. */
      close(): Promise<void>;
    }
  | { readonly exit: number };

/** The `--help` text of a command that runs the collector: its usage line, then every collector option. */
export function collectorHelp(command: string, usage: string): string {
  return `Usage: auditfeed ${command} ${usage}\n\n${configHelp()}\n${fileSinkReadingHelp()}\n`;
}

/**
 * Configuration errors (exit 2, every problem listed) and opening the collector, shared by the commands. `configArgs`
 * are the collector options' flags that `readArguments` kept; `stop` (the command's stopOnSignals) also ends the sink's
 * requests and retries, which outlive a cycle's own stop.
 */
export async function openCollector(command: string, configArgs: string[], stop: AbortSignal, env: NodeJS.ProcessEnv = process.env): Promise<Opened> {
  let config: CollectorConfig;
  try {
    config = loadConfig({ argv: configArgs, env, cwd: process.cwd() });
  } catch (error) {
    if (!isAuditfeedError(error)) throw error;
    process.stderr.write(`auditfeed ${command}: ${error.message}\n`);
    return { exit: EXIT.config };
  }
  const logger = createLogger({ level: config.logLevel }).child({ tenantId: config.tenantId });
  let telemetry: Telemetry | undefined;
  try {
    telemetry = await startTelemetry(config, logger, stop);
    const settings = telemetry.meter === undefined ? { signal: stop } : { signal: stop, meter: telemetry.meter };
    const collector = await Collector.open(config, logger, settings);
    const started = telemetry;
    const close = async (): Promise<void> => {
      await collector.close();
      await started.shutdown();
    };
    return { collector, config, logger, close };
  } catch (error) {
    await telemetry?.shutdown();
    logger.error("The collector could not start.", { error });
    return { exit: exitCodeOfFailure(error) };
  }
}
