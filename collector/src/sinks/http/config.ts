import type { OptionReader } from "../../config/option-reader.ts";
import { parseByteSize, parseChoice, parseHttpsUrl, parseInteger } from "../../config/values.ts";
import { readRemoteConfig, type RemoteSinkConfig } from "../remote/config.ts";
import type { BatchLimits } from "../remote/outcome.ts";

export const HTTP_PRESETS = ["splunk-hec", "elasticsearch", "sekoia", "webhook"] as const;
export type HttpPresetName = (typeof HTTP_PRESETS)[number];

/** The HTTP sink's settings. */
export interface HttpSinkConfig {
  readonly kind: "http";
  readonly preset: HttpPresetName;
  readonly remote: RemoteSinkConfig;
  /** Elasticsearch index or data stream; Splunk index. */
  readonly index: string | undefined;
  /** Splunk HEC indexer acknowledgement. */
  readonly ack: boolean;
  /** Webhook: the header that carries the secret. */
  readonly header: string;
  readonly gzip: boolean;
  /** Overrides of the preset's batch limits. */
  readonly limits: Partial<BatchLimits>;
}

const ON_OFF = ["on", "off"] as const;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export function readHttpSinkConfig(options: OptionReader): HttpSinkConfig {
  const preset = options.required("sinkPreset", (text) => parseChoice(text, HTTP_PRESETS), "webhook", "which HTTP intake receives the records.");
  const remote = readRemoteConfig(options, parseHttpsUrl, `the https:// base URL of the ${preset} intake.`);
  const index = options.value<string | undefined>("sinkIndex", (text) => ({ ok: true, value: text.trim() }), undefined);
  const ack = options.value("sinkAck", (text) => parseChoice(text, ON_OFF), "off") === "on";
  const header = options.value(
    "sinkHeader",
    (text) => (HEADER_NAME.test(text.trim()) ? { ok: true, value: text.trim() } : { ok: false, expected: "an HTTP header name such as Authorization" }),
    "Authorization",
  );
  const gzip = options.value("sinkGzip", (text) => parseChoice(text, ON_OFF), "on") === "on";
  const maxRecords = options.value<number | undefined>("sinkBatchRecords", (text) => parseInteger(text, 1, 100_000), undefined);
  const maxBytes = options.value<number | undefined>("sinkBatchBytes", parseByteSize, undefined);
  const where = (key: Parameters<OptionReader["where"]>[0]): string | undefined => options.where(key);
  if ((preset === "splunk-hec" || preset === "sekoia") && remote.secret === undefined) {
    options.problem(
      `The ${preset} preset needs ${preset === "sekoia" ? "the intake key" : "the HEC token"} in AUDITFEED_SINK_SECRET (or "sinkSecret" in the config file).`,
    );
  }
  if (preset === "elasticsearch" && index === undefined) {
    options.problem(
      `The elasticsearch preset needs the index or data stream to write to: set --sink-index, AUDITFEED_SINK_INDEX or "sinkIndex" in the config file.`,
    );
  }
  if (preset !== "elasticsearch" && preset !== "splunk-hec" && where("sinkIndex") !== undefined) {
    options.problem(`${where("sinkIndex")} applies to the elasticsearch and splunk-hec presets only, not ${preset}: remove it.`);
  }
  if (preset !== "splunk-hec" && ack) options.problem(`${where("sinkAck")} applies to the splunk-hec preset only, not ${preset}: remove it.`);
  if (preset !== "webhook" && where("sinkHeader") !== undefined) {
    options.problem(`${where("sinkHeader")} applies to the webhook preset only (${preset} authenticates its own way): remove it.`);
  }
  const limits: Partial<BatchLimits> = { ...(maxRecords === undefined ? {} : { maxRecords }), ...(maxBytes === undefined ? {} : { maxBytes }) };
  return { kind: "http", preset, remote, index, ack, header, gzip, limits };
}
