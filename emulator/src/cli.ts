import { once } from "node:events";
import { parseArgs } from "node:util";
import { CLOUD_NAMES, CLOUDS, isCloudName, type CloudName } from "../../collector/src/config/clouds.ts";
import { parseFlags } from "../../collector/src/config/flags.ts";
import type { ContentType } from "../../collector/src/source/content.ts";
import { CONTENT_TYPES, isContentType } from "../../collector/src/source/content.ts";
import { DEFAULT_EVENTS_PER_HOUR, DEMO_APP, DEMO_TENANT, startEmulator } from "./index.ts";
import type { Emulator, EmulatorOptions, FaultOptions, MalformedKind, TenantOptions } from "./index.ts";

const HELP = `Usage: auditfeed emulate [options]

Starts a local Office 365 Management Activity API with its own Entra token endpoint and managed identity
endpoint, prints where they listen, the credentials to use and the CA certificate to trust, and runs until
Ctrl-C (SIGINT) or SIGTERM. Content is generated deterministically from the seed on a virtual clock.

Emulator:
  --seed N                      Same seed => same records, ids and blobs (default 1)
  --now ISO-8601                Virtual clock start (default: now)
  --freeze-clock                Virtual time stands still instead of running at wall-clock speed
  --cloud NAME                  Microsoft cloud played: ${CLOUD_NAMES.join(", ")} (default commercial): tokens only
                                for its Management API scope and its token-exchange audience
  --page-size N                 Content listing page size before NextPageUri (default 100)
  --host ADDRESS                Bind address (default 127.0.0.1)
  --management-port N           Management API port (default: ephemeral)
  --authority-port N            Token authority port (default: ephemeral)
  --managed-identity-port N     Managed identity endpoint port (default: ephemeral)

Tenant and app:
  --tenant GUID                 Tenant id (default ${DEMO_TENANT})
  --client-id GUID              App (client) id (default ${DEMO_APP.clientId})
  --client-secret TEXT          App secret (default: the demo secret)
  --no-dlp                      Do not grant ActivityFeed.ReadDlp (DLP.All answers AF10001)
  --rate TYPE=N                 Events per virtual hour for a content type; repeatable
                                (default ${CONTENT_TYPES.map((type) => `${type}=${DEFAULT_EVENTS_PER_HOUR[type]}`).join(" ")})
  --records-per-blob N          Target records per blob, varies ±50% (default 20)
  --history-hours N             Hours of content before the virtual start (default 48; 7 days listable)
  --subscribed TYPE|all         Subscription already enabled at start; repeatable (default none)
  --audit-off                   Unified audit logging off: start answers the "Tenant ... does not exist" 400
  --requests-per-minute N       Per-tenant budget before AF429, wall clock (default 2000)

Faults:
  --first-data-delay-minutes N  New subscriptions see blobs only from start + N minutes (default 0)
  --late-blob-rate F            Fraction of blobs listable late (default 0)
  --late-blob-delay-minutes N   How late (default 90)
  --duplicate-record-rate F     Fraction of records repeated in the next blob (default 0)
  --in-order                    Sort records within blobs, no older events in later blobs (default: out of order)
  --expired-blob-rate F         Fraction of blobs already expired when listed: AF20051 (default 0)
  --transient-error-rate F      Fraction of requests answered 500 AF50000 (default 0)
  --throttle-rate F             Fraction of requests answered AF429, 403 or 429 (default 0)
  --slow-response-ms N          Latency added to every response (default 0)
  --poison-content-uri URL      Point one blob in ten at this origin instead (a collector must refuse it)
  --malformed-blob-rate F       Fraction of blobs whose body is malformed on every fetch (default 0)
  --malformed-blob-kinds LIST   Comma-separated kinds for those blobs, chosen per blob (default all):
                                truncated (ends inside a record, no closing ]), not-array ({"value":[...]}),
                                invalid-utf8 (a record holds bytes C3 28), missing-id (a record without Id)

  -h, --help                    Show this help
`;

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  seed: { type: "string" },
  now: { type: "string" },
  "freeze-clock": { type: "boolean" },
  cloud: { type: "string" },
  "page-size": { type: "string" },
  host: { type: "string" },
  "management-port": { type: "string" },
  "authority-port": { type: "string" },
  "managed-identity-port": { type: "string" },
  tenant: { type: "string" },
  "client-id": { type: "string" },
  "client-secret": { type: "string" },
  "no-dlp": { type: "boolean" },
  rate: { type: "string", multiple: true },
  "records-per-blob": { type: "string" },
  "history-hours": { type: "string" },
  subscribed: { type: "string", multiple: true },
  "audit-off": { type: "boolean" },
  "requests-per-minute": { type: "string" },
  "first-data-delay-minutes": { type: "string" },
  "late-blob-rate": { type: "string" },
  "late-blob-delay-minutes": { type: "string" },
  "duplicate-record-rate": { type: "string" },
  "in-order": { type: "boolean" },
  "expired-blob-rate": { type: "string" },
  "transient-error-rate": { type: "string" },
  "throttle-rate": { type: "string" },
  "slow-response-ms": { type: "string" },
  "poison-content-uri": { type: "string" },
  "malformed-blob-rate": { type: "string" },
  "malformed-blob-kinds": { type: "string" },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS }>>["values"];

function number(values: Values, name: keyof Values): number | undefined {
  const text = values[name];
  if (typeof text !== "string") return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) throw new RangeError(`--${name} must be a number; got "${text}".`);
  return value;
}

/** Copies the defined entries only: the options types are exact, so an absent flag must leave the key out. */
function defined<T extends object>(entries: { [K in keyof T]: T[K] | undefined }): T {
  return Object.fromEntries(Object.entries(entries).filter(([, value]) => value !== undefined)) as T;
}

function rates(specs: string[] | undefined): Partial<Record<ContentType, number>> | undefined {
  if (specs === undefined) return undefined;
  const result: Partial<Record<ContentType, number>> = { ...DEFAULT_EVENTS_PER_HOUR };
  for (const spec of specs) {
    const [type = "", text = ""] = spec.split("=");
    const value = Number(text);
    if (!isContentType(type) || text === "" || !Number.isFinite(value)) {
      throw new RangeError(`--rate must look like TYPE=N with TYPE one of ${CONTENT_TYPES.join(", ")}; got "${spec}".`);
    }
    result[type] = value;
  }
  return result;
}

function subscribed(specs: string[] | undefined): ContentType[] | undefined {
  if (specs === undefined) return undefined;
  if (specs.includes("all")) return [...CONTENT_TYPES];
  for (const spec of specs) if (!isContentType(spec)) throw new RangeError(`--subscribed must be "all" or one of ${CONTENT_TYPES.join(", ")}; got "${spec}".`);
  return specs as ContentType[];
}

function cloudName(value: string | undefined): CloudName | undefined {
  if (value === undefined || isCloudName(value)) return value;
  throw new RangeError(`--cloud must be one of ${CLOUD_NAMES.join(", ")}; got "${value}".`);
}

/** The emulator options that the command line describes. */
export function optionsFromArgs(values: Values): EmulatorOptions {
  const tenantId = values.tenant ?? DEMO_TENANT;
  const faults = defined<FaultOptions>({
    firstDataDelayMinutes: number(values, "first-data-delay-minutes"),
    lateBlobRate: number(values, "late-blob-rate"),
    lateBlobDelayMinutes: number(values, "late-blob-delay-minutes"),
    duplicateRecordRate: number(values, "duplicate-record-rate"),
    outOfOrder: values["in-order"] === true ? false : undefined,
    expiredBlobRate: number(values, "expired-blob-rate"),
    transientErrorRate: number(values, "transient-error-rate"),
    throttleRate: number(values, "throttle-rate"),
    slowResponseMs: number(values, "slow-response-ms"),
    poisonContentUri: values["poison-content-uri"],
    malformedBlobRate: number(values, "malformed-blob-rate"),
    malformedBlobKinds: values["malformed-blob-kinds"]?.split(",").map((kind) => kind.trim()) as MalformedKind[] | undefined,
  });
  const tenant = defined<TenantOptions>({
    tenantId,
    apps: [
      {
        tenantId,
        clientId: values["client-id"] ?? DEMO_APP.clientId,
        secrets: [values["client-secret"] ?? DEMO_APP.secret],
        certificatePems: [],
        federatedCredentials: [],
        roles: values["no-dlp"] === true ? ["ActivityFeed.Read"] : ["ActivityFeed.Read", "ActivityFeed.ReadDlp"],
      },
    ],
    eventsPerHour: rates(values.rate),
    recordsPerBlob: number(values, "records-per-blob"),
    historyHours: number(values, "history-hours"),
    subscribed: subscribed(values.subscribed),
    auditLoggingEnabled: values["audit-off"] === true ? false : undefined,
    requestsPerMinute: number(values, "requests-per-minute"),
    faults,
  });
  const now = values.now === undefined ? undefined : new Date(values.now);
  if (now !== undefined && Number.isNaN(now.getTime())) throw new RangeError(`--now must be an ISO 8601 date; got "${values.now ?? ""}".`);
  return defined<EmulatorOptions>({
    seed: number(values, "seed"),
    cloud: cloudName(values.cloud),
    now,
    freezeClock: values["freeze-clock"],
    recordRequests: false,
    tenants: [tenant],
    pageSize: number(values, "page-size"),
    host: values.host,
    managementPort: number(values, "management-port"),
    authorityPort: number(values, "authority-port"),
    managedIdentityPort: number(values, "managed-identity-port"),
  });
}

/** `auditfeed emulate`: runs the emulator standalone until SIGINT or SIGTERM. */
export async function emulateCommand(args: string[]): Promise<number> {
  let options: EmulatorOptions;
  let emulator: Emulator;
  // Node's own message for an unknown flag suggests nothing; parseFlags names the closest one.
  const problems = parseFlags(args, OPTIONS).problems;
  if (problems.length > 0) {
    process.stderr.write(`${problems.map((problem) => `auditfeed emulate: ${problem}\n`).join("")}Run 'auditfeed emulate --help' for the options.\n`);
    return 2;
  }
  try {
    const { values } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
    if (values.help === true) {
      process.stdout.write(HELP);
      return 0;
    }
    options = optionsFromArgs(values);
    emulator = await startEmulator(options);
  } catch (error) {
    process.stderr.write(`auditfeed emulate: ${error instanceof Error ? error.message : String(error)}\nRun 'auditfeed emulate --help' for the options.\n`);
    return 2;
  }
  const tenant = options.tenants?.[0];
  const app = tenant?.apps[0];
  process.stdout.write(
    [
      "auditfeed emulator is running. Press Ctrl-C to stop.",
      `  Management API   ${emulator.managementUrl}/api/v1.0/${tenant?.tenantId ?? ""}/activity/feed`,
      `  Authority host   ${emulator.authorityUrl}   (@azure/identity authorityHost, with disableInstanceDiscovery)`,
      `  Managed identity ${emulator.managedIdentityUrl}   (IDENTITY_ENDPOINT; IDENTITY_HEADER=${emulator.identity.managedIdentityHeader})`,
      `  Tenant id        ${tenant?.tenantId ?? ""}`,
      `  Client id        ${app?.clientId ?? ""}`,
      `  Client secret    ${app?.secrets[0] ?? ""}`,
      `  Scope            ${CLOUDS[options.cloud ?? "commercial"].scope}`,
      `  CA file          ${emulator.caFile}   (trust it: NODE_EXTRA_CA_CERTS=${emulator.caFile})`,
      "",
    ].join("\n"),
  );
  const signal = await Promise.race([once(process, "SIGINT"), once(process, "SIGTERM")]);
  process.stdout.write(`Received ${String(signal[0] ?? "signal")}; stopping the emulator.\n`);
  await emulator.close();
  return 0;
}
