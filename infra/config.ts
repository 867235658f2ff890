import { Cron } from "croner";
import type { Cloud } from "../collector/src/config/clouds.ts";
import { CONTENT_TYPES, isContentType } from "../collector/src/source/content.ts";
import type { ContentType } from "../collector/src/source/content.ts";
import { ConfigValues, configError, defaultLocation } from "./config-values.ts";
import { parseSinkConfig, refuseNotStackSettings, SINK_CONFIG_KEYS, type JobSinkConfig } from "./sinks/config.ts";

/** How the collector proves its identity to Entra (see docs/deploy.md, "Credentials"). */
export const CREDENTIAL_MODES = ["federated", "certificate", "secret"] as const;
export type CredentialMode = (typeof CREDENTIAL_MODES)[number];

/** The stack's own keys, besides the sink's options. */
const STACK_KEYS = [
  "customer",
  "customerDisplayName",
  "tenantId",
  "cloud",
  "location",
  "subscriptionTenantId",
  "credential",
  "credentialRotationDays",
  "globalReader",
  "graphUserRead",
  "graphUserDisable",
  "provisionManagementApiServicePrincipal",
  "contentTypes",
  "publisherId",
  "image",
  "imageRegistry",
  "schedule",
  "replicaTimeoutSeconds",
  "logRetentionDays",
  "sink",
  "providerStack",
  "alertActionGroupId",
] as const;

/**
 * Every key of the stack's own (`auditfeed:`) namespace; anything else there is a typo and is refused. The sink's
 * options are the collector's own option keys (sinks/config.ts), so the table that documents them is the collector's.
 */
export const CONFIG_KEYS = [...STACK_KEYS, ...SINK_CONFIG_KEYS];
export type ConfigKey = (typeof STACK_KEYS)[number];

/**
 * Settings that belong to the provider stack in MSSP mode (`providerStack` set): the collector signs in with the
 * provider's identity (nothing to choose or rotate), and runs in the provider's environment, region and workspace.
 */
const PROVIDER_OWNED_KEYS: Readonly<Partial<Record<ConfigKey, string>>> = {
  credential: "the collector signs in with the provider's managed identity",
  subscriptionTenantId: "the provider's identity and app share the provider's tenant",
  credentialRotationDays: "there is no secret or certificate to rotate",
  location: "the job runs in the region of the provider's Container Apps environment",
  logRetentionDays: "logs go to the provider's Log Analytics workspace",
};

/** The validated settings of one customer stack. Built only by `parseStackConfig`. */
export interface StackConfig {
  /** Short lowercase name of the customer, used in every Azure and Entra resource name. */
  readonly customer: string;
  /** Human name of the customer, written into the app registration's display name and notes. */
  readonly customerDisplayName: string;
  /** The customer's Entra tenant: where the app registration, consent and directory role live. */
  readonly tenantId: string;
  readonly cloud: Cloud;
  /** Azure region of the collector runtime. */
  readonly location: string;
  /** Entra tenant of the Azure subscription that runs the collector, when known. */
  readonly subscriptionTenantId: string | undefined;
  readonly credential: CredentialMode;
  /** A new client secret or certificate is created once per this many days; each stays valid for twice as long. */
  readonly credentialRotationDays: number;
  readonly globalReader: boolean;
  readonly graphUserRead: boolean;
  readonly graphUserDisable: boolean;
  readonly provisionManagementApiServicePrincipal: boolean;
  readonly contentTypes: readonly ContentType[];
  readonly publisherId: string;
  readonly image: string;
  /** The Azure Container Registry that holds `image`, pulled with the collector's managed identity; undefined for a public registry. */
  readonly imageRegistry: ImageRegistry | undefined;
  /** Five-field cron expression, UTC. */
  readonly schedule: string;
  readonly replicaTimeoutSeconds: number;
  readonly logRetentionDays: number;
  /** The collector sink the job delivers to (one of `JOB_SINKS`), and the options its owner set for it. */
  readonly sink: JobSinkConfig;
  /**
   * MSSP mode: the provider stack (`<organization>/auditfeed-provider/<stack>`) whose multi-tenant app this tenant
   * consents to and whose runtime runs the job. Undefined: a dedicated app and runtime for this tenant.
   */
  readonly providerStack: string | undefined;
  /** Resource id of the Azure Monitor action group the collector's alerts notify; undefined: alerts without actions. */
  readonly alertActionGroupId: string | undefined;
}

/** A private Azure Container Registry: its login server (the image's host) and its ARM resource id (the AcrPull scope). */
export interface ImageRegistry {
  readonly server: string;
  readonly resourceId: string;
}

/** What `parseStackConfig` needs besides the stack's own keys. */
export interface ConfigContext {
  /** `azure-native:tenantId`, the fallback for `subscriptionTenantId`. */
  readonly azureNativeTenantId?: string | undefined;
  /** The stack's keys (without namespace) whose values Pulumi keeps encrypted (`pulumi config set --secret`). */
  readonly secretKeys?: ReadonlySet<string>;
}

export const DEFAULT_IMAGE = "ghcr.io/auditfeed/auditfeed:0.1.0";
export const DEFAULT_SCHEDULE = "*/5 * * * *";

// Alphanumeric only: it prefixes storage-account and Key Vault names, which allow nothing else and are capped at 24.
const CUSTOMER_SLUG = /^[a-z][a-z0-9]{2,11}$/;
/**
 * Runs that may start, find the state held by one long run and exit 4, before `replicaTimeoutSeconds` stops it.
 * Overlap is safe (the state's lease admits one run at a time), but a timeout many intervals long only piles up
 * executions that do nothing: the default (30 minutes over a 5-minute schedule) is the limit.
 */
export const MAX_OVERLAPPING_RUNS = 6;

// A fully qualified stack name: the provider lives in another project, so organization and project are needed.
const STACK_REFERENCE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/**
 * Validates the stack's configuration, given as the strings Pulumi stores (arrays as JSON), and fills in defaults.
 * The Pulumi.yaml schema is checked by the CLI only; mocks and `pulumi preview --non-interactive` scripts rely on this.
 */
export function parseStackConfig(values: Readonly<Record<string, string>>, context: ConfigContext = {}): StackConfig {
  refuseNotStackSettings(values);
  const config = new ConfigValues("auditfeed", CONFIG_KEYS, values);
  const customer = config.required("customer", "a short lowercase name such as contoso");
  if (!CUSTOMER_SLUG.test(customer)) {
    throw configError(
      `auditfeed:customer must be 3 to 12 lowercase letters or digits starting with a letter (it prefixes Azure resource names); got "${customer}". Set e.g. \`pulumi config set customer contoso\`.`,
    );
  }
  const tenantId = config.guid("tenantId", config.required("tenantId", "the customer's Entra tenant id (a GUID)"));
  const cloud = config.cloud("cloud");
  const providerStack = providerStackName(values);
  const subscriptionTenantRaw = values.subscriptionTenantId ?? context.azureNativeTenantId;
  const subscriptionTenantId = subscriptionTenantRaw === undefined ? undefined : config.guid("subscriptionTenantId", subscriptionTenantRaw);
  const sameTenant = subscriptionTenantId !== undefined && subscriptionTenantId.toLowerCase() === tenantId.toLowerCase();
  // In MSSP mode the job always exchanges the provider identity's assertion: federated, across tenants.
  const credential = providerStack === undefined ? credentialMode(values.credential, sameTenant, subscriptionTenantId, tenantId) : "federated";
  const schedule = cron(values.schedule ?? DEFAULT_SCHEDULE);
  const replicaTimeoutSeconds = config.integer("replicaTimeoutSeconds", 1800, 60, 86_400);
  const intervalSeconds = shortestIntervalSeconds(schedule);
  if (replicaTimeoutSeconds > MAX_OVERLAPPING_RUNS * intervalSeconds) {
    throw configError(
      `auditfeed:replicaTimeoutSeconds (${replicaTimeoutSeconds}) is more than ${MAX_OVERLAPPING_RUNS} times the shortest interval of auditfeed:schedule "${schedule}" (${intervalSeconds} s): the runs started while one run lasts that long only find the state held and exit 4. Set replicaTimeoutSeconds to at most ${MAX_OVERLAPPING_RUNS * intervalSeconds}, or space the schedule out.`,
    );
  }
  const sink = parseSinkConfig(values, context.secretKeys ?? new Set(), { cloud: cloud.name });
  return {
    customer,
    customerDisplayName: values.customerDisplayName ?? customer,
    tenantId,
    cloud,
    location: values.location ?? defaultLocation(cloud),
    subscriptionTenantId,
    credential,
    credentialRotationDays: config.integer("credentialRotationDays", 90, 7, 365),
    globalReader: config.boolean("globalReader", true),
    graphUserRead: config.boolean("graphUserRead", false),
    graphUserDisable: config.boolean("graphUserDisable", false),
    provisionManagementApiServicePrincipal: config.boolean("provisionManagementApiServicePrincipal", false),
    contentTypes: contentTypes(values.contentTypes),
    publisherId: values.publisherId === undefined ? tenantId : config.guid("publisherId", values.publisherId),
    image: values.image ?? DEFAULT_IMAGE,
    imageRegistry: imageRegistry(values.image ?? DEFAULT_IMAGE, values.imageRegistry),
    schedule,
    replicaTimeoutSeconds,
    logRetentionDays: config.integer("logRetentionDays", 30, 30, 730),
    sink,
    providerStack,
    alertActionGroupId: actionGroupId(values.alertActionGroupId),
  };
}

const ACTION_GROUP_ID = /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/microsoft\.insights\/actionGroups\/[^/]+$/i;

function actionGroupId(value: string | undefined): string | undefined {
  if (value === undefined || ACTION_GROUP_ID.test(value)) return value;
  throw configError(
    `auditfeed:alertActionGroupId is ${JSON.stringify(value)}: give the resource id of an Azure Monitor action group, /subscriptions/<id>/resourceGroups/<group>/providers/microsoft.insights/actionGroups/<name> (az monitor action-group show --query id).`,
  );
}

/** `providerStack`, checked, with the settings MSSP mode leaves to the provider refused by name. */
function providerStackName(values: Readonly<Record<string, string>>): string | undefined {
  const stack = values.providerStack;
  if (stack === undefined) return undefined;
  if (!STACK_REFERENCE.test(stack)) {
    throw configError(
      `auditfeed:providerStack must name the provider stack in full as <organization>/<project>/<stack>, e.g. fabrikam/auditfeed-provider/prod; got "${stack}".`,
    );
  }
  const misplaced = Object.entries(PROVIDER_OWNED_KEYS).filter(([key]) => values[key] !== undefined);
  if (misplaced.length > 0) {
    throw configError(
      `${misplaced.map(([key, why]) => `auditfeed:${key} does not apply in MSSP mode (${why})`).join("; ")}. Remove ${misplaced.length === 1 ? "it" : "them"} with \`pulumi config rm <key>\`, or remove auditfeed:providerStack for a dedicated app and runtime.`,
    );
  }
  return stack;
}

function credentialMode(value: string | undefined, sameTenant: boolean, subscriptionTenantId: string | undefined, tenantId: string): CredentialMode {
  if (value === undefined) return sameTenant ? "federated" : "certificate";
  if (!(CREDENTIAL_MODES as readonly string[]).includes(value)) {
    throw configError(`auditfeed:credential must be one of ${CREDENTIAL_MODES.join(", ")}; got "${value}".`);
  }
  if (value === "federated" && !sameTenant) {
    const where =
      subscriptionTenantId === undefined
        ? "the tenant of the collector's Azure subscription is unknown (set auditfeed:subscriptionTenantId or azure-native:tenantId)"
        : `the collector's Azure subscription is in tenant ${subscriptionTenantId}, not the customer tenant ${tenantId}`;
    throw configError(
      `auditfeed:credential federated needs the collector's managed identity and the app registration in the same Entra tenant, but ${where}. Choose credential certificate (or secret), or run the collector in a subscription of the customer tenant.`,
    );
  }
  return value as CredentialMode;
}

function contentTypes(value: string | undefined): readonly ContentType[] {
  if (value === undefined) return CONTENT_TYPES;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = undefined;
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((item): item is string => typeof item === "string")) {
    throw configError(
      `auditfeed:contentTypes must be a non-empty list of content types; set it with \`pulumi config set --path 'contentTypes[0]' Audit.Exchange\`.`,
    );
  }
  const unknown = parsed.filter((item) => !isContentType(item));
  if (unknown.length > 0) {
    throw configError(`auditfeed:contentTypes has unknown content types ${unknown.join(", ")}; choose from ${CONTENT_TYPES.join(", ")}.`);
  }
  return [...new Set(parsed as ContentType[])];
}

/** Five fields, each checked by a cron library (ranges, steps, names), as Container Apps reads them (UTC). */
function cron(value: string): string {
  const fields = value.trim().split(/\s+/);
  const refuse = (why: string): ReturnType<typeof configError> =>
    configError(
      `auditfeed:schedule must be a five-field cron expression (minute hour day month weekday, UTC) such as "${DEFAULT_SCHEDULE}"; got "${value}"${why}.`,
    );
  if (fields.length !== 5) throw refuse("");
  try {
    new Cron(fields.join(" "), { paused: true, timezone: "UTC" });
  } catch (error) {
    throw refuse(` (${(error as Error).message})`);
  }
  return fields.join(" ");
}

// `<registry host>/<path>[:tag][@sha256:digest]`; the host is what Container Apps signs in to.
const IMAGE_REFERENCE = /^([a-z0-9.-]+(?::\d+)?)\/[a-z0-9._/-]+(?::[\w.-]+)?(?:@sha256:[0-9a-f]{64})?$/;
// Azure Container Registry login servers, per cloud (azurecr.io, azurecr.us for US Government, azurecr.cn).
const ACR_SERVER = /^([a-z0-9]+)\.azurecr\.(?:io|us|cn)$/;
const ACR_RESOURCE_ID = /^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/[^/]+\/providers\/Microsoft\.ContainerRegistry\/registries\/([a-zA-Z0-9]+)$/i;

/**
 * A public image (ghcr.io, mcr.microsoft.com...) is pulled anonymously. An image in Azure Container Registry is pulled
 * with the collector's managed identity, which the stack grants AcrPull on the registry: no registry password anywhere.
 */
function imageRegistry(image: string, resourceId: string | undefined): ImageRegistry | undefined {
  const server = IMAGE_REFERENCE.exec(image)?.[1];
  if (server === undefined) {
    throw configError(`auditfeed:image must be a full image reference such as ${DEFAULT_IMAGE} (registry host, path, tag or digest); got "${image}".`);
  }
  const acrName = ACR_SERVER.exec(server)?.[1];
  if (resourceId === undefined) {
    if (acrName === undefined) return undefined;
    throw configError(
      `auditfeed:image is in the Azure Container Registry ${server}: set auditfeed:imageRegistry to its resource id (az acr show --name ${acrName} --query id -o tsv) so the collector's identity is granted AcrPull to pull it.`,
    );
  }
  const registryName = ACR_RESOURCE_ID.exec(resourceId)?.[1];
  if (registryName === undefined) {
    throw configError(
      `auditfeed:imageRegistry must be an Azure Container Registry resource id, /subscriptions/<id>/resourceGroups/<group>/providers/Microsoft.ContainerRegistry/registries/<name>; got "${resourceId}".`,
    );
  }
  if (acrName !== registryName.toLowerCase()) {
    throw configError(
      `auditfeed:imageRegistry is the registry ${registryName}, but auditfeed:image is pulled from ${server}: point both at the same registry.`,
    );
  }
  return { server, resourceId };
}

/** Shortest time between two runs of a valid schedule, over its next 2,000 runs from a fixed instant (deterministic). */
export function shortestIntervalSeconds(schedule: string): number {
  const runs = new Cron(schedule, { paused: true, timezone: "UTC" }).nextRuns(2_000, new Date("2026-01-01T00:00:00Z"));
  let shortest = Infinity;
  for (let index = 1; index < runs.length; index++) {
    shortest = Math.min(shortest, ((runs[index] as Date).getTime() - (runs[index - 1] as Date).getTime()) / 1_000);
  }
  return Number.isFinite(shortest) ? shortest : 365 * 86_400;
}
