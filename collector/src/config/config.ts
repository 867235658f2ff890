import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { AuditfeedError } from "../errors.ts";
import { LOG_LEVELS, type LogLevel } from "../log/logger.ts";
import { CONTENT_TYPES, type ContentType } from "../source/content.ts";
import { certificateFileProblem } from "./certificate-file.ts";
import { CLOUD_NAMES, CLOUDS, type CloudName } from "./clouds.ts";
import { DEFAULT_ROTATE_BYTES } from "../sinks/file/index.ts";
import { SINK_KINDS } from "../sinks/kinds.ts";
import { sinkDefinition, type SinkConfig } from "../sinks/registry.ts";
import type { OptionReader } from "./option-reader.ts";
import { closestName, parseFlags } from "./flags.ts";
import { CONFIG_FILE_OPTION, OPTIONS, configFlagOptions, type OptionKey, type OptionSpec } from "./options.ts";
import { isAzblobLocation, parseAzblobLocation, type StateConfig } from "./state-location.ts";
import { parseChoice, parseDuration, parseGuid, parseHttpsUrl, parseInteger, type Parsed } from "./values.ts";

export { configFlagOptions, configHelp } from "./options.ts";
export type { StateConfig } from "./state-location.ts";

/** How the app registration authenticates to Entra; each kind maps to one @azure/identity credential. */
export type CredentialConfig =
  | { kind: "secret"; clientSecret: string }
  | { kind: "certificate"; certificatePath: string }
  | { kind: "federated"; managedIdentityClientId?: string }
  | { kind: "workload-identity" };

export const CREDENTIAL_KINDS = ["secret", "certificate", "federated", "workload-identity"] as const;

/** The collector's validated configuration. Durations are milliseconds; paths are absolute. */
export interface CollectorConfig {
  cloud: CloudName;
  tenantId: string;
  clientId: string;
  credential: CredentialConfig;
  /** GUID of the tenant operating the collector (it picks the API's throttling bucket); defaults to `tenantId`. */
  publisherIdentifier: string;
  contentTypes: ContentType[];
  /** First-run look-back; at most 7 days (the API lists nothing older). */
  lookbackMs: number;
  /** Span re-listed every cycle so blobs that become listable late are still found. */
  overlapMs: number;
  pollIntervalMs: number;
  /** Request budget shared by every call for the tenant. */
  requestsPerMinute: number;
  fetchConcurrency: number;
  /** How long delivered record ids are remembered for dedupe. */
  dedupeHorizonMs: number;
  /** Overrides for tests and the emulator; absent means the cloud's own endpoints and the system CAs. */
  endpoints: { managementUrl?: string; authorityUrl?: string; managedIdentityUrl?: string; caFile?: string };
  sink: SinkConfig;
  state: StateConfig;
  logLevel: LogLevel;
  /** Where metrics go: a Prometheus endpoint to scrape and/or an OTLP/HTTP push; both absent means none are kept. */
  metrics: { prometheus?: { host: string; port: number }; otlpUrl?: string; intervalMs: number };
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** The API refuses a `startTime` more than 7 days old. */
export const MAX_LOOKBACK_MS = 7 * DAY_MS;

/** Every default, in one place; `tenantId`, `clientId` and the credential have none. */
export function defaultConfig(cwd: string): Omit<CollectorConfig, "tenantId" | "clientId" | "credential" | "publisherIdentifier"> {
  return {
    cloud: "commercial",
    contentTypes: [...CONTENT_TYPES],
    lookbackMs: HOUR_MS,
    overlapMs: 24 * HOUR_MS,
    pollIntervalMs: 5 * MINUTE_MS,
    requestsPerMinute: 2000,
    fetchConcurrency: 4,
    dedupeHorizonMs: 8 * DAY_MS,
    endpoints: {},
    sink: { kind: "file", directory: resolve(cwd, "auditfeed-data/events"), rotateBytes: DEFAULT_ROTATE_BYTES },
    state: { kind: "sqlite", path: resolve(cwd, "auditfeed-data/state.sqlite") },
    logLevel: "info",
    metrics: { intervalMs: MINUTE_MS },
  };
}

/** A raw value and where it came from, so a message can name the flag, variable or file key the user wrote. */
interface RawValue {
  readonly text: string;
  readonly where: string;
  readonly baseDir: string;
}

type FileValues = Partial<Record<OptionKey, RawValue>>;

const SECRET_KEYS: ReadonlySet<string> = new Set((OPTIONS as readonly OptionSpec[]).filter((option) => option.secret === true).map((option) => option.key));

/**
 * Reads flags (highest precedence), then the environment, then the JSON config file, over `defaultConfig`.
 * `argv` holds only the options' flags (a command takes its own flags out first); any other flag is a problem.
 * Every problem found is reported at once in one AuditfeedError `AF_ERR_CONFIG`; secret values never appear in it.
 */
export function loadConfig(input: { argv: string[]; env: NodeJS.ProcessEnv; cwd: string }): CollectorConfig {
  const parsed = parseFlags(input.argv, configFlagOptions());
  const problems: string[] = [...parsed.problems, ...unknownVariables(input.env)];
  const flagValue = (spec: OptionSpec): RawValue | undefined => {
    const value = spec.flag === null ? undefined : parsed.values[spec.flag.slice(2)];
    return typeof value === "string" ? { text: value, where: spec.flag as string, baseDir: input.cwd } : undefined;
  };
  const envValue = (spec: OptionSpec): RawValue | undefined => {
    const value = input.env[spec.env];
    // An empty variable counts as unset: container templates often declare variables they leave blank.
    return value === undefined || value === "" ? undefined : { text: value, where: spec.env, baseDir: input.cwd };
  };

  const configPath = flagValue(CONFIG_FILE_OPTION) ?? envValue(CONFIG_FILE_OPTION);
  const file = configPath === undefined ? {} : readConfigFile(resolve(configPath.baseDir, configPath.text), configPath.where, problems);
  const raw = (key: OptionKey): RawValue | undefined => {
    const spec = (OPTIONS as readonly OptionSpec[]).find((option) => option.key === key);
    if (spec === undefined) return undefined;
    return flagValue(spec) ?? envValue(spec) ?? file[key];
  };

  const field = <T>(key: OptionKey, parse: (text: string) => Parsed<T>, fallback: T, fix = ""): T => {
    const value = raw(key);
    if (value === undefined) return fallback;
    const parsed = parse(value.text);
    if (parsed.ok) return parsed.value;
    const shown = SECRET_KEYS.has(key) ? "(hidden)" : JSON.stringify(value.text);
    problems.push(`${value.where} is ${shown}: expected ${parsed.expected}.${fix === "" ? "" : ` ${fix}`}`);
    return fallback;
  };
  const path = (key: OptionKey, fallback: string): string => {
    const value = raw(key);
    return value === undefined ? fallback : resolve(value.baseDir, value.text);
  };
  const required = <T>(key: OptionKey, parse: (text: string) => Parsed<T>, fallback: T, what: string): T => {
    if (raw(key) === undefined) problems.push(`${key} is missing: ${what} Set it with ${whereToSet(key)}.`);
    return field(key, parse, fallback);
  };
  const reader: OptionReader = {
    where: (key) => raw(key)?.where,
    value: field,
    required,
    path: (key, fallback) => path(key, resolve(input.cwd, fallback)),
    existingFile: (key, what) => {
      const value = raw(key);
      if (value === undefined) return undefined;
      const file = resolve(value.baseDir, value.text);
      if (!existsSync(file)) problems.push(`${value.where} names ${file}, which does not exist: give ${what}.`);
      return file;
    },
    problem: (message) => problems.push(message),
  };

  const defaults = defaultConfig(input.cwd);
  const tenantId = required("tenantId", parseGuid, "", "the directory (tenant) ID of the tenant whose audit log is collected.");
  const clientId = required("clientId", parseGuid, "", "the application (client) ID of the app registration that holds ActivityFeed.Read.");
  const endpoints: CollectorConfig["endpoints"] = {};
  for (const key of ["managementUrl", "authorityUrl", "managedIdentityUrl"] as const) {
    const url = field<string | undefined>(key, parseUrlFor(key), undefined);
    if (url !== undefined) endpoints[key] = url;
  }
  const caFile = reader.existingFile("caFile", "the path of a PEM CA certificate");
  if (caFile !== undefined) endpoints.caFile = caFile;
  const lookbackMs = field("lookback", parseDuration, defaults.lookbackMs);
  const overlapMs = field("overlap", parseDuration, defaults.overlapMs);
  const dedupeHorizonMs = field("dedupeHorizon", parseDuration, defaults.dedupeHorizonMs);
  checkRange(problems, raw("lookback"), lookbackMs, 1_000, MAX_LOOKBACK_MS, "the Management API lists nothing older than 7 days; use at most 7d");
  checkRange(problems, raw("overlap"), overlapMs, 0, MAX_LOOKBACK_MS, "use 0 to 7d; 24h finds blobs that are listed late");
  checkRange(problems, raw("dedupeHorizon"), dedupeHorizonMs, HOUR_MS, 90 * DAY_MS, "use 1h to 90d; 8d covers the API's 7-day listing window");
  if (dedupeHorizonMs < overlapMs) {
    problems.push(
      `dedupeHorizon (${dedupeHorizonMs / HOUR_MS}h) is shorter than overlap (${overlapMs / HOUR_MS}h): records re-listed in the overlap would be delivered twice. Raise dedupeHorizon or lower overlap.`,
    );
  }
  const pollIntervalMs = field("pollInterval", parseDuration, defaults.pollIntervalMs);
  checkRange(problems, raw("pollInterval"), pollIntervalMs, 10_000, DAY_MS, "use 10s to 24h");
  const sinkKind = field("sink", (text) => parseChoice(text, SINK_KINDS), defaults.sink.kind);
  for (const option of OPTIONS as readonly OptionSpec[]) {
    const where = raw(option.key as OptionKey)?.where;
    if (where !== undefined && option.sinks !== undefined && !option.sinks.includes(sinkKind)) {
      problems.push(
        `${where} configures the ${option.sinks.join(" or ")} sink, but the sink is ${sinkKind}: remove it, or choose that sink with ${whereToSet("sink")}.`,
      );
    }
  }
  const cloud = field("cloud", (text) => parseChoice(text, CLOUD_NAMES), defaults.cloud, "GCC High and DoD tenants use gcchigh and dod.");
  const config: CollectorConfig = {
    cloud,
    tenantId,
    clientId,
    credential: credentialFrom(raw, path, problems, input.env),
    publisherIdentifier: field("publisherIdentifier", parseGuid, tenantId, "Use the tenant ID of the organisation operating the collector."),
    contentTypes: field("contentTypes", parseContentTypes, defaults.contentTypes),
    lookbackMs,
    overlapMs,
    pollIntervalMs,
    requestsPerMinute: field("requestsPerMinute", (text) => parseInteger(text, 1, 100_000), defaults.requestsPerMinute),
    fetchConcurrency: field("fetchConcurrency", (text) => parseInteger(text, 1, 64), defaults.fetchConcurrency),
    dedupeHorizonMs,
    endpoints,
    sink: sinkDefinition(sinkKind).readConfig(reader),
    state: stateFrom(raw, path("state", defaults.state.kind === "sqlite" ? defaults.state.path : ""), problems, cloud),
    logLevel: field("logLevel", (text) => parseChoice(text, LOG_LEVELS), defaults.logLevel),
    metrics: metricsFrom(field, raw, problems),
  };
  if (problems.length > 0) {
    throw new AuditfeedError("AF_ERR_CONFIG", `The configuration is invalid:\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  }
  return config;
}

function metricsFrom(
  field: <T>(key: OptionKey, parse: (text: string) => Parsed<T>, fallback: T, fix?: string) => T,
  raw: (key: OptionKey) => RawValue | undefined,
  problems: string[],
): CollectorConfig["metrics"] {
  const intervalMs = field("metricsInterval", parseDuration, MINUTE_MS);
  checkRange(problems, raw("metricsInterval"), intervalMs, 1_000, HOUR_MS, "use 1s to 1h");
  const prometheus = field<{ host: string; port: number } | undefined>("metricsListen", parseListen, undefined);
  const otlpUrl = field<string | undefined>("otlpMetricsUrl", parseHttpUrl, undefined);
  return { intervalMs, ...(prometheus === undefined ? {} : { prometheus }), ...(otlpUrl === undefined ? {} : { otlpUrl }) };
}

/** "0.0.0.0:9464", "127.0.0.1:9464", "[::]:9464": where the Prometheus endpoint listens. */
function parseListen(text: string): Parsed<{ host: string; port: number }> {
  const match = /^(\[[0-9a-f:.]+\]|[\w.-]+):(\d{1,5})$/i.exec(text.trim());
  const port = Number(match?.[2]);
  if (match === null || !(port >= 1 && port <= 65_535)) return { ok: false, expected: "host:port, such as 0.0.0.0:9464 (all interfaces) or 127.0.0.1:9464" };
  return { ok: true, value: { host: (match[1] as string).replace(/^\[|\]$/g, ""), port } };
}

/** An http or https URL (an OTLP collector is often plain http inside the same network; no token goes there). */
function parseHttpUrl(text: string): Parsed<string> {
  try {
    const url = new URL(text.trim());
    if (url.protocol === "http:" || url.protocol === "https:") return { ok: true, value: url.href };
  } catch {
    // reported below
  }
  return { ok: false, expected: "an http or https URL such as http://otel-collector:4318/v1/metrics" };
}

function credentialFrom(
  raw: (key: OptionKey) => RawValue | undefined,
  path: (key: OptionKey, fallback: string) => string,
  problems: string[],
  env: NodeJS.ProcessEnv,
): CredentialConfig {
  const secret = raw("clientSecret");
  const certificate = raw("certificatePath");
  const chosen = raw("credential");
  let kind: CredentialConfig["kind"] | undefined;
  if (chosen !== undefined) {
    const parsed = parseChoice(chosen.text, CREDENTIAL_KINDS);
    if (parsed.ok) kind = parsed.value;
    else problems.push(`${chosen.where} is ${JSON.stringify(chosen.text)}: expected ${parsed.expected}.`);
  } else if (secret !== undefined && certificate !== undefined) {
    problems.push(`Both a client secret (${secret.where}) and a certificate (${certificate.where}) are set: choose one with ${whereToSet("credential")}.`);
  } else if (secret !== undefined) {
    kind = "secret";
  } else if (certificate !== undefined) {
    kind = "certificate";
  } else {
    problems.push(
      `credential is missing: set ${whereToSet("credential")} to one of ${CREDENTIAL_KINDS.join(", ")}, or give a client secret (AUDITFEED_CLIENT_SECRET) or a certificate (--certificate-path).`,
    );
  }
  switch (kind) {
    case "secret":
      if (secret === undefined) problems.push(`The secret credential needs a client secret: set AUDITFEED_CLIENT_SECRET or "clientSecret" in the config file.`);
      return { kind, clientSecret: secret?.text ?? "" };
    case "certificate": {
      const certificatePath = path("certificatePath", "");
      if (certificate === undefined) problems.push(`The certificate credential needs a PEM file: set ${whereToSet("certificatePath")}.`);
      else if (!existsSync(certificatePath))
        problems.push(`${certificate.where} names ${certificatePath}, which does not exist: give the PEM file holding the certificate and its private key.`);
      else {
        const problem = certificateFileProblem(certificatePath);
        if (problem !== undefined) problems.push(`${certificate.where} names ${certificatePath}, which ${problem}.`);
      }
      return { kind, certificatePath };
    }
    case "federated": {
      if (raw("managedIdentityUrl") !== undefined && !env["IDENTITY_HEADER"]) {
        problems.push(
          `${raw("managedIdentityUrl")?.where} needs IDENTITY_HEADER beside it (the secret the managed identity endpoint expects, as Container Apps sets it; \`auditfeed emulate\` prints the emulator's).`,
        );
      }
      const identity = raw("managedIdentityClientId");
      if (identity === undefined) return { kind };
      const parsed = parseGuid(identity.text);
      if (!parsed.ok) problems.push(`${identity.where} is ${JSON.stringify(identity.text)}: expected ${parsed.expected} (the managed identity's client ID).`);
      return { kind, managedIdentityClientId: parsed.ok ? parsed.value : "" };
    }
    case "workload-identity":
      if (!env["AZURE_FEDERATED_TOKEN_FILE"]) {
        problems.push(
          "The workload-identity credential needs AZURE_FEDERATED_TOKEN_FILE, which the AKS workload identity webhook sets: enable workload identity on the pod, or choose another credential.",
        );
      }
      return { kind };
    case undefined:
      return { kind: "secret", clientSecret: "" };
  }
}

/** A local SQLite file unless the location is azblob://; `sqlitePath` is the location resolved as a path. */
function stateFrom(raw: (key: OptionKey) => RawValue | undefined, sqlitePath: string, problems: string[], cloud: CloudName): StateConfig {
  const location = raw("state");
  const endpoint = raw("stateBlobEndpoint");
  const key = raw("stateAccountKey");
  if (location === undefined || !isAzblobLocation(location.text)) {
    const stray = endpoint ?? key;
    if (stray !== undefined)
      problems.push(
        `${stray.where} is set, but the state is a local file: it only applies to azblob:// state. Remove it, or set ${whereToSet("state")} to azblob://<account>/<container>.`,
      );
    return { kind: "sqlite", path: sqlitePath };
  }
  const parsed = parseAzblobLocation(location.text, endpoint?.text, CLOUDS[cloud]);
  if (!parsed.ok) {
    problems.push(
      `${endpoint !== undefined && parsed.problem.startsWith("the blob endpoint") ? endpoint.where : location.where} is invalid: ${parsed.problem}.`,
    );
    return { kind: "sqlite", path: "" };
  }
  const identity = raw("managedIdentityClientId");
  const identityId = identity === undefined ? undefined : parseGuid(identity.text);
  const reported = problems.some((problem) => identity !== undefined && problem.startsWith(`${identity.where} is`));
  if (identity !== undefined && identityId?.ok === false && key === undefined && !reported) {
    problems.push(
      `${identity.where} is ${JSON.stringify(identity.text)}: expected ${identityId.expected} (the managed identity that signs in to the state's storage).`,
    );
  }
  return {
    kind: "azblob",
    ...parsed.value,
    ...(key === undefined ? {} : { accountKey: key.text }),
    ...(identityId?.ok ? { managedIdentityClientId: identityId.value } : {}),
  };
}

function readConfigFile(filePath: string, where: string, problems: string[]): FileValues {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(filePath, "utf8"));
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "it does not exist" : `it is not valid JSON (${(error as Error).message})`;
    problems.push(`The config file ${filePath} (from ${where}) cannot be read: ${reason}.`);
    return {};
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    problems.push(`The config file ${filePath} must hold one JSON object whose keys are option names (see --help).`);
    return {};
  }
  const known = new Set<string>((OPTIONS as readonly OptionSpec[]).map((option) => option.key));
  const values: FileValues = {};
  for (const [key, value] of Object.entries(parsed)) {
    const at = `"${key}" in ${filePath}`;
    if (!known.has(key)) {
      problems.push(`${at} is not a setting: the keys are ${[...known].join(", ")}.`);
    } else if (typeof value === "string" || typeof value === "number") {
      values[key as OptionKey] = { text: String(value), where: at, baseDir: dirname(filePath) };
    } else if (key === "contentTypes" && Array.isArray(value) && value.every((item) => typeof item === "string")) {
      values[key] = { text: value.join(","), where: at, baseDir: dirname(filePath) };
    } else {
      problems.push(`${at} must be a string${key === "contentTypes" ? " or an array of strings" : ""}.`);
    }
  }
  return values;
}

function parseContentTypes(text: string): Parsed<ContentType[]> {
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  const chosen: ContentType[] = [];
  for (const name of names) {
    const parsed = parseChoice(name, CONTENT_TYPES);
    if (!parsed.ok) return { ok: false, expected: `a comma-separated list of ${CONTENT_TYPES.join(", ")} (${JSON.stringify(name)} is none of them)` };
    if (!chosen.includes(parsed.value)) chosen.push(parsed.value);
  }
  return chosen.length === 0 ? { ok: false, expected: `at least one of ${CONTENT_TYPES.join(", ")}` } : { ok: true, value: chosen };
}

function parseUrlFor(key: "managementUrl" | "authorityUrl" | "managedIdentityUrl"): (text: string) => Parsed<string> {
  // The managed identity endpoint is plain http on every Azure host (IMDS, Container Apps); the others carry tokens.
  if (key !== "managedIdentityUrl") return parseHttpsUrl;
  return (text) => {
    try {
      const url = new URL(text.trim());
      if (url.protocol === "http:" || url.protocol === "https:") return { ok: true, value: url.href.replace(/\/+$/, "") };
    } catch {
      // reported below
    }
    return { ok: false, expected: "an http or https URL such as http://127.0.0.1:8444" };
  };
}

function checkRange(problems: string[], value: RawValue | undefined, ms: number, min: number, max: number, fix: string): void {
  if (value !== undefined && (ms < min || ms > max)) problems.push(`${value.where} is ${JSON.stringify(value.text)}, out of range: ${fix}.`);
}

function whereToSet(key: OptionKey): string {
  const spec = (OPTIONS as readonly OptionSpec[]).find((option) => option.key === key);
  if (spec === undefined) return key;
  return [spec.flag, spec.env, `"${spec.key}" in the config file`].filter((item) => item !== null).join(", ");
}

/**
 * `AUDITFEED_*` variables that are not options, each with the nearest known one: a misspelt variable in a job template
 * would otherwise run the collector on a default the operator meant to change, as a misspelt flag would.
 */
function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  const known: readonly string[] = [CONFIG_FILE_OPTION, ...OPTIONS].map((spec) => spec.env);
  return Object.keys(env)
    .filter((name) => name.startsWith("AUDITFEED_") && !known.includes(name))
    .map((name) => {
      const closest = closestName(name, known);
      return `${name} is not an option${closest === undefined ? "" : `: did you mean ${closest}?`} (\`auditfeed once --help\` lists every variable).`;
    });
}
