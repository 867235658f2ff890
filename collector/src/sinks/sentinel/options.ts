import type { OptionSpec } from "../../config/options.ts";

/** The Sentinel sink's own settings (the endpoint, CA, timeouts and dead letter are the shared remote ones). */
export const SENTINEL_SINK_OPTIONS = [
  {
    key: "sinkRuleId",
    flag: "--sink-rule-id",
    env: "AUDITFEED_SINK_RULE_ID",
    description: "Immutable id (dcr-...) of the data collection rule that routes the records to the Log Analytics table.",
    defaultText: "required",
    sinks: ["sentinel"],
  },
  {
    key: "sinkStream",
    flag: "--sink-stream",
    env: "AUDITFEED_SINK_STREAM",
    description: "Stream declared in the data collection rule that receives the rows (see sinks/sentinel/README.md for its columns).",
    defaultText: "Custom-AuditfeedM365_CL",
    sinks: ["sentinel"],
  },
] as const satisfies readonly OptionSpec[];
