import type { OptionReader } from "../../config/option-reader.ts";
import { CLOUDS, isCloudName, type Cloud } from "../../config/clouds.ts";
import { parseHttpsUrl, type Parsed } from "../../config/values.ts";
import { readRemoteConfig, type RemoteSinkConfig } from "../remote/config.ts";

/** The custom table infra creates in the workspace, and the stream its data collection rule declares for it. */
export const SENTINEL_TABLE = "AuditfeedM365_CL";
export const DEFAULT_STREAM = `Custom-${SENTINEL_TABLE}`;

/** The Sentinel (Log Analytics) sink's settings. */
export interface SentinelSinkConfig {
  readonly kind: "sentinel";
  /** The Logs Ingestion endpoint: a data collection endpoint's (or rule's) `logsIngestion` URL. */
  readonly remote: RemoteSinkConfig;
  /** The data collection rule's immutable id. */
  readonly ruleId: string;
  readonly stream: string;
  /** Token audience of the Logs Ingestion API in the cloud the workspace is in. */
  readonly audience: string;
}

const RULE_ID = /^dcr-[0-9a-f]{32}$/i;
/** Custom streams are `Custom-<name>`; a rule may also route to a few built-in tables' `Microsoft-<table>` streams. */
const STREAM = /^(Custom|Microsoft)-[A-Za-z0-9_]{1,100}$/;
const LOOPBACK = new Set(["127.0.0.1", "[::1]", "localhost"]);

export function readSentinelSinkConfig(options: OptionReader): SentinelSinkConfig {
  // The collector reports an unknown cloud itself; the sink only needs the audience of a known one.
  const cloudName = options.value("cloud", (text) => ({ ok: true, value: text.trim() }), "commercial");
  const cloud = CLOUDS[isCloudName(cloudName) ? cloudName : "commercial"];
  const remote = readRemoteConfig(
    options,
    (text) => parseIngestionEndpoint(text, cloud),
    `the Logs Ingestion endpoint of the data collection endpoint (https://<name>.<region>-1.${cloud.monitorIngestionSuffix}).`,
  );
  const ruleId = options.required(
    "sinkRuleId",
    (text) =>
      RULE_ID.test(text.trim()) ? { ok: true, value: text.trim() } : { ok: false, expected: "a data collection rule's immutable id: dcr- and 32 hex digits" },
    "",
    "the immutable id of the data collection rule (its JSON view in the portal, or `az monitor data-collection rule show --query immutableId`).",
  );
  const stream = options.value(
    "sinkStream",
    (text) => (STREAM.test(text.trim()) ? { ok: true, value: text.trim() } : { ok: false, expected: "a stream of the rule, such as Custom-AuditfeedM365_CL" }),
    DEFAULT_STREAM,
  );
  return { kind: "sentinel", remote, ruleId, stream, audience: cloud.monitorAudience };
}

/**
 * The bearer token goes only to the cloud's Logs Ingestion hosts (`*.ingest.monitor.azure.com`, or `.us`), over
 * https; a loopback host is allowed for local test endpoints. Any path is dropped: the client appends the API's own.
 */
function parseIngestionEndpoint(text: string, cloud: Cloud): Parsed<string> {
  const expected = `an https:// Logs Ingestion endpoint on *.${cloud.monitorIngestionSuffix} (the ${cloud.name} cloud's), such as https://auditfeed-dce-a1b2.westeurope-1.${cloud.monitorIngestionSuffix}`;
  const parsed = parseHttpsUrl(text);
  if (!parsed.ok) return { ok: false, expected };
  const url = new URL(parsed.value);
  const host = url.hostname.toLowerCase();
  if (!host.endsWith(`.${cloud.monitorIngestionSuffix}`) && !LOOPBACK.has(host)) return { ok: false, expected };
  return { ok: true, value: url.origin };
}
