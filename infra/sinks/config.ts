import type { OptionReader } from "../../collector/src/config/option-reader.ts";
import { OPTIONS, type OptionKey, type OptionSpec } from "../../collector/src/config/options.ts";
import { sinkDefinition } from "../../collector/src/sinks/registry.ts";
import { configError } from "../config-values.ts";
import { SECRET_MOUNT_PATH } from "../job-wiring.ts";
import { isJobSink, JOB_SINKS, SINK_INFRA, sinkInfraFor, type JobSink } from "./index.ts";

/**
 * How a sink option reaches the job: a plain value; a secret (Key Vault, then a secret reference); or the content of a
 * file (Key Vault, then a file in the job's secret volume, whose path is the option's value).
 */
export type SinkSettingForm = "value" | "secret" | "file";

/** One sink option as the stack's owner set it (`auditfeed:<option key>`). */
export interface SinkSetting {
  readonly option: OptionKey;
  readonly value: string;
  readonly form: SinkSettingForm;
}

/** The job's sink: its kind, and the options the stack's owner set for it. */
export interface JobSinkConfig {
  readonly kind: JobSink;
  readonly settings: readonly SinkSetting[];
}

/**
 * Sink options no stack sets, with why: the dead letter is the stack's (records refused for good must outlive the job's
 * disk, which Container Apps throws away after every run), and account keys are for Azurite (the job signs in to
 * storage with its managed identity; the stack's storage account has shared keys off).
 */
const NOT_STACK_SETTINGS: Readonly<Partial<Record<OptionKey, string>>> = {
  deadLetter: "the stack puts the dead letter in a container of its storage account, as records refused for good must outlive the job's throwaway disk",
  deadLetterBlobEndpoint: "the stack puts the dead letter in a container of its storage account",
  deadLetterAccountKey: "account keys are for Azurite; the job signs in to storage with its managed identity",
  sinkAccountKey: "account keys are for Azurite; the job signs in to storage with its managed identity",
};

/** Why the stack's owner may not set `key`, a sink option of the collector, or undefined when it may (for some job sink). */
function notAStackSetting(spec: OptionSpec): string | undefined {
  const key = spec.key as OptionKey;
  const fixed = NOT_STACK_SETTINGS[key];
  if (fixed !== undefined) return fixed;
  const jobSinks = (spec.sinks ?? []).filter(isJobSink);
  // An option a sink's infra provides stays the owner's to set when they may bring their own resources instead.
  const owners = jobSinks.map((kind) => SINK_INFRA[kind]).filter((infra) => infra?.provides[key] !== undefined && infra.ownResourcesOption === undefined);
  return owners.length === jobSinks.length ? owners[0]?.why : undefined;
}

/** The sink options of the collector's table (collector/src/config/options.ts) that some job sink reads. */
const SINK_OPTION_SPECS: readonly OptionSpec[] = (OPTIONS as readonly OptionSpec[]).filter((option) => option.sinks?.some((kind) => isJobSink(kind)) === true);

/**
 * The stack's keys for sink options: the collector's own option keys (`auditfeed:sinkUrl` is the collector's
 * `sinkUrl`), for the options the stack's owner sets for some job sink.
 */
export const SINK_CONFIG_KEYS = SINK_OPTION_SPECS.filter((option) => notAStackSetting(option) === undefined).map((option) => option.key as OptionKey);

/** Refuses, naming why, a sink option of the collector that no stack sets (before unknown keys are refused as typos). */
export function refuseNotStackSettings(values: Readonly<Record<string, string>>): void {
  const refused = SINK_OPTION_SPECS.flatMap((spec) => {
    const why = values[spec.key] === undefined ? undefined : notAStackSetting(spec);
    return why === undefined ? [] : [`auditfeed:${spec.key} is not a setting of a stack (${why}): remove it with \`pulumi config rm ${spec.key}\`.`];
  });
  if (refused.length > 0) throw configError(refused.join("\n"));
}

/** Name of a sink option's Key Vault secret and job secret: `sinkCaFile` → `sink-ca-file`. */
export function sinkSecretName(option: OptionKey): string {
  return option.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}

/** Where the job finds the file of a file option. */
export function sinkFilePath(option: OptionKey): string {
  return `${SECRET_MOUNT_PATH}/${sinkSecretName(option)}.pem`;
}

/** Settings of the collector that are not the sink's but that a sink reads, as the job will have them. */
export interface SinkCheckContext {
  readonly cloud: string;
}

/**
 * Reads `auditfeed:sink` and the sink's options from the stack's settings (`values`, secrets decrypted; `secretKeys`,
 * the keys Pulumi holds encrypted), and checks them with the collector's own reader for that sink, so a stack is
 * refused at `pulumi preview` for anything the collector would refuse at its first run. Every problem is listed.
 */
export function parseSinkConfig(values: Readonly<Record<string, string>>, secretKeys: ReadonlySet<string>, context: SinkCheckContext): JobSinkConfig {
  const kind = values.sink ?? "stdout";
  if (!isJobSink(kind)) {
    const why = kind === "file" ? " The job's disk is thrown away after every run, so the file sink would lose what it wrote." : "";
    throw configError(`auditfeed:sink must be one of ${JOB_SINKS.join(", ")}; got "${kind}".${why} Set it with \`pulumi config set sink <sink>\`.`);
  }
  const infra = sinkInfraFor(kind, (option) => values[option] !== undefined);
  const problems: string[] = [];
  const settings: SinkSetting[] = [];
  for (const spec of SINK_OPTION_SPECS) {
    const value = SINK_CONFIG_KEYS.includes(spec.key as OptionKey) ? values[spec.key] : undefined;
    if (value === undefined) continue;
    const key = spec.key as OptionKey;
    const problem = settingProblem(spec, value, kind, secretKeys, infra?.provides[key] !== undefined ? infra.why : undefined);
    if (problem !== undefined) problems.push(problem);
    else settings.push({ option: key, value, form: spec.isPath === true ? "file" : spec.secret === true ? "secret" : "value" });
  }
  if (problems.length === 0) problems.push(...collectorProblems(kind, settings, infra?.provides ?? {}, context));
  if (problems.length > 0) {
    throw configError(`The ${kind} sink's settings are invalid:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
  return { kind, settings };
}

function settingProblem(
  spec: OptionSpec,
  value: string,
  kind: JobSink,
  secretKeys: ReadonlySet<string>,
  providedBecause: string | undefined,
): string | undefined {
  const key = `auditfeed:${spec.key}`;
  const sinks = spec.sinks ?? [];
  if (!sinks.includes(kind)) {
    return `${key} configures the ${oneOf(sinks)} sink, but auditfeed:sink is ${kind}: remove it with \`pulumi config rm ${spec.key}\`, or set auditfeed:sink to ${oneOf(sinks.filter(isJobSink))}.`;
  }
  if (providedBecause !== undefined)
    return `${key} is set by the stack for the ${kind} sink (${providedBecause}): remove it with \`pulumi config rm ${spec.key}\`.`;
  const content = spec.isPath === true ? ` -- "$(cat ${spec.secretFile === true ? "client.pem" : "ca.pem"})"` : " <value>";
  if ((spec.secret === true || spec.secretFile === true) && !secretKeys.has(spec.key)) {
    return `${key} is a secret, but it is set as plain text (it would sit unencrypted in Pulumi.<stack>.yaml): set it with \`pulumi config set --secret ${spec.key}${content}\`.`;
  }
  if (spec.isPath === true && !value.includes("-----BEGIN ")) {
    return `${key} takes the content of the PEM file, not a path (the job cannot read your machine's files; the stack hands it the file through Key Vault): set it with \`pulumi config set${spec.secretFile === true ? " --secret" : ""} ${spec.key}${content}\`.`;
  }
  return undefined;
}

/** What the collector's own reader of this sink says about the settings, as the job would get them. */
function collectorProblems(
  kind: JobSink,
  settings: readonly SinkSetting[],
  provided: Readonly<Partial<Record<OptionKey, string>>>,
  context: SinkCheckContext,
): string[] {
  const problems: string[] = [];
  const given = new Map<OptionKey, SinkSetting>(settings.map((setting) => [setting.option, setting]));
  const text = (key: OptionKey): string | undefined => {
    if (key === "cloud") return context.cloud;
    const setting = given.get(key);
    if (setting !== undefined) return setting.form === "file" ? sinkFilePath(key) : setting.value;
    return provided[key];
  };
  const where = (key: OptionKey): string | undefined =>
    given.has(key) ? `auditfeed:${key}` : provided[key] !== undefined || key === "cloud" ? key : undefined;
  const value = <T>(key: OptionKey, parse: (text: string) => { ok: true; value: T } | { ok: false; expected: string }, fallback: T, fix = ""): T => {
    const raw = text(key);
    if (raw === undefined) return fallback;
    const parsed = parse(raw);
    if (parsed.ok) return parsed.value;
    const shown = given.get(key)?.form === "value" ? JSON.stringify(raw) : "(hidden)";
    problems.push(`${where(key) ?? key} is ${shown}: expected ${parsed.expected}.${fix === "" ? "" : ` ${fix}`}`);
    return fallback;
  };
  const reader: OptionReader = {
    where,
    value,
    required: (key, parse, fallback, what) => {
      if (text(key) === undefined) problems.push(`auditfeed:${key} is missing: ${what} Set it with \`pulumi config set ${key} <value>\`.`);
      return value(key, parse, fallback);
    },
    path: (key, fallback) => text(key) ?? fallback,
    // The file is the setting's content, which Key Vault puts in the job's secret volume; it was checked to be PEM.
    existingFile: (key) => text(key),
    problem: (message) => problems.push(message),
  };
  sinkDefinition(kind).readConfig(reader);
  return problems;
}

/** "a", "a or b", "a, b or c". */
function oneOf(items: readonly string[]): string {
  return items.length < 2 ? items.join("") : `${items.slice(0, -1).join(", ")} or ${items[items.length - 1] ?? ""}`;
}
