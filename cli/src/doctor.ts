import { configHelp, loadConfig, type CollectorConfig } from "../../collector/src/config/config.ts";
import { isAuditfeedError } from "../../collector/src/errors.ts";
import { createLogger } from "../../collector/src/log/logger.ts";
import { configurationFailure, runChecks } from "./doctor/checks.ts";
import { failed, renderJson, renderText, type CheckResult } from "./doctor/report.ts";
import { EXIT } from "./exit-codes.ts";

const HELP = `Usage: auditfeed doctor [--json] [options]

Checks, in order, everything the collector needs, and prints each as PASS, WARN, FAIL or SKIP with the fix:
configuration; DNS, TCP and TLS to the cloud's login, Management API and Graph hosts; the token (Entra errors
explained) and its roles; each content type's subscription (a missing one is started, as the collector would);
unified audit logging; first data; clock skew; the sink (reachable with its own TLS settings, and its credential
accepted by a request that delivers nothing, where the receiver has one); the state store.
--json prints the same as one JSON object. Exit code: 0 nothing failed (warnings allowed), 1 a check failed,
2 the configuration is invalid. It takes the collector's options:

`;

/** `auditfeed doctor [--json]`: the collector's configuration checked end to end, without collecting anything. */
export async function doctorCommand(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  out: (text: string) => void = (text) => process.stdout.write(text),
): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    out(`${HELP}${configHelp()}`);
    return EXIT.ok;
  }
  const json = args.includes("--json");
  const argv = args.filter((arg) => arg !== "--json");
  let config: CollectorConfig;
  try {
    config = loadConfig({ argv, env, cwd: process.cwd() });
  } catch (error) {
    if (!isAuditfeedError(error)) throw error;
    out(render(configurationFailure(error.message), json));
    return EXIT.config;
  }
  // Requests are logged only at debug: the checks report every failure themselves.
  const results = await runChecks(config, createLogger({ level: config.logLevel === "debug" ? "debug" : "error" }));
  out(render(results, json));
  return failed(results) ? EXIT.partial : EXIT.ok;
}

function render(results: readonly CheckResult[], json: boolean): string {
  return json ? renderJson(results) : renderText(results);
}
