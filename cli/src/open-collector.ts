import { Collector } from "../../collector/src/collector.ts";
import { configHelp, loadConfig, type CollectorConfig } from "../../collector/src/config/config.ts";
import { isAuditfeedError } from "../../collector/src/errors.ts";
import { fileSinkReadingHelp } from "../../collector/src/sinks/file/reading-rules.ts";
import { createLogger, type Logger } from "../../collector/src/log/logger.ts";
import { EXIT, exitCodeOfFailure } from "./exit-codes.ts";

export type Opened = { readonly collector: Collector; readonly config: CollectorConfig; readonly logger: Logger } | { readonly exit: number };

/** `--help`, configuration errors (exit 2, every problem listed) and opening the collector, shared by the commands. */
export async function openCollector(command: string, usage: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Opened> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`Usage: auditfeed ${command} ${usage}\n\n${configHelp()}\n${fileSinkReadingHelp()}\n`);
    return { exit: EXIT.ok };
  }
  let config: CollectorConfig;
  try {
    config = loadConfig({ argv: args, env, cwd: process.cwd() });
  } catch (error) {
    if (!isAuditfeedError(error)) throw error;
    process.stderr.write(`auditfeed ${command}: ${error.message}\n`);
    return { exit: EXIT.config };
  }
  const logger = createLogger({ level: config.logLevel }).child({ tenantId: config.tenantId });
  try {
    return { collector: await Collector.open(config, logger), config, logger };
  } catch (error) {
    logger.error("The collector could not start.", { error });
    return { exit: exitCodeOfFailure(error) };
  }
}
