import { CLOUD_NAMES, CLOUDS, isCloudName } from "../collector/src/config/clouds.ts";
import type { Cloud } from "../collector/src/config/clouds.ts";
import { AuditfeedError } from "../collector/src/errors.ts";
import { CONTENT_TYPES, isContentType } from "../collector/src/source/content.ts";
import type { ContentType } from "../collector/src/source/content.ts";

/** How the collector proves its identity to Entra (see docs/deploy.md, "Credentials"). */
export const CREDENTIAL_MODES = ["federated", "certificate", "secret"] as const;
export type CredentialMode = (typeof CREDENTIAL_MODES)[number];

/** Every key of the stack's own (`auditfeed:`) namespace; anything else there is a typo and is refused. */
export const CONFIG_KEYS = [
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
  "schedule",
  "replicaTimeoutSeconds",
  "logRetentionDays",
  "sink",
  "sinkUrl",
  "sinkSecret",
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

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
  /** Five-field cron expression, UTC. */
  readonly schedule: string;
  readonly replicaTimeoutSeconds: number;
  readonly logRetentionDays: number;
  readonly sink: string;
  readonly sinkUrl: string | undefined;
  /** Whether `sinkSecret` is set; its value is read as a Pulumi secret and never passes through here. */
  readonly hasSinkSecret: boolean;
}

/** What `parseStackConfig` needs besides the stack's own keys. */
export interface ConfigContext {
  /** `azure-native:tenantId`, the fallback for `subscriptionTenantId`. */
  readonly azureNativeTenantId?: string | undefined;
}

export const DEFAULT_IMAGE = "ghcr.io/auditfeed/auditfeed:0.1.0";
export const DEFAULT_SCHEDULE = "*/5 * * * *";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Alphanumeric only: it prefixes storage-account and Key Vault names, which allow nothing else and are capped at 24.
const CUSTOMER_SLUG = /^[a-z][a-z0-9]{2,11}$/;
const SINK_NAME = /^[a-z][a-z0-9-]*$/;
const CRON_FIELD = /^[0-9*,\-/]+$/;

function configError(message: string): AuditfeedError {
  return new AuditfeedError("AF_ERR_INFRA_CONFIG", message);
}

/**
 * Validates the stack's configuration, given as the strings Pulumi stores (arrays as JSON), and fills in defaults.
 * The Pulumi.yaml schema is checked by the CLI only; mocks and `pulumi preview --non-interactive` scripts rely on this.
 */
export function parseStackConfig(values: Readonly<Record<string, string>>, context: ConfigContext = {}): StackConfig {
  for (const key of Object.keys(values)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      throw configError(`auditfeed:${key} is not a setting of this stack; remove it (known keys: ${CONFIG_KEYS.join(", ")}).`);
    }
  }
  const customer = required(values, "customer", "a short lowercase name such as contoso");
  if (!CUSTOMER_SLUG.test(customer)) {
    throw configError(
      `auditfeed:customer must be 3 to 12 lowercase letters or digits starting with a letter (it prefixes Azure resource names); got "${customer}". Set e.g. \`pulumi config set customer contoso\`.`,
    );
  }
  const tenantId = guid("tenantId", required(values, "tenantId", "the customer's Entra tenant id (a GUID)"));
  const cloudName = values.cloud ?? "commercial";
  if (!isCloudName(cloudName)) {
    throw configError(`auditfeed:cloud must be one of ${CLOUD_NAMES.join(", ")}; got "${cloudName}".`);
  }
  const cloud = CLOUDS[cloudName];
  const subscriptionTenantRaw = values.subscriptionTenantId ?? context.azureNativeTenantId;
  const subscriptionTenantId = subscriptionTenantRaw === undefined ? undefined : guid("subscriptionTenantId", subscriptionTenantRaw);
  const sameTenant = subscriptionTenantId !== undefined && subscriptionTenantId.toLowerCase() === tenantId.toLowerCase();
  const credential = credentialMode(values.credential, sameTenant, subscriptionTenantId, tenantId);
  const sink = values.sink ?? "stdout";
  if (!SINK_NAME.test(sink)) {
    throw configError(`auditfeed:sink must be a sink name of the collector such as stdout or http; got "${sink}".`);
  }
  return {
    customer,
    customerDisplayName: values.customerDisplayName ?? customer,
    tenantId,
    cloud,
    location: values.location ?? (cloud.azureEnvironment === "usgovernment" ? "usgovvirginia" : "eastus"),
    subscriptionTenantId,
    credential,
    credentialRotationDays: integer(values, "credentialRotationDays", 90, 7, 365),
    globalReader: boolean(values, "globalReader", true),
    graphUserRead: boolean(values, "graphUserRead", false),
    graphUserDisable: boolean(values, "graphUserDisable", false),
    provisionManagementApiServicePrincipal: boolean(values, "provisionManagementApiServicePrincipal", false),
    contentTypes: contentTypes(values.contentTypes),
    publisherId: values.publisherId === undefined ? tenantId : guid("publisherId", values.publisherId),
    image: values.image ?? DEFAULT_IMAGE,
    schedule: cron(values.schedule ?? DEFAULT_SCHEDULE),
    replicaTimeoutSeconds: integer(values, "replicaTimeoutSeconds", 1800, 60, 86_400),
    logRetentionDays: integer(values, "logRetentionDays", 30, 30, 730),
    sink,
    sinkUrl: httpsUrl(values.sinkUrl),
    hasSinkSecret: values.sinkSecret !== undefined,
  };
}

function required(values: Readonly<Record<string, string>>, key: ConfigKey, what: string): string {
  const value = values[key];
  if (value === undefined || value === "") {
    throw configError(`auditfeed:${key} is required: set it to ${what} with \`pulumi config set ${key} <value>\`.`);
  }
  return value;
}

function guid(key: ConfigKey, value: string): string {
  if (!GUID.test(value)) {
    throw configError(`auditfeed:${key} must be a GUID such as 00000000-0000-0000-0000-000000000000; got "${value}".`);
  }
  return value.toLowerCase();
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

function boolean(values: Readonly<Record<string, string>>, key: ConfigKey, fallback: boolean): boolean {
  const value = values[key];
  if (value === undefined) return fallback;
  if (value === "true") return true;
  if (value === "false") return false;
  throw configError(`auditfeed:${key} must be true or false; got "${value}".`);
}

function integer(values: Readonly<Record<string, string>>, key: ConfigKey, fallback: number, min: number, max: number): number {
  const value = values[key];
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw configError(`auditfeed:${key} must be a whole number from ${min} to ${max}; got "${value}".`);
  }
  return parsed;
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

function cron(value: string): string {
  const fields = value.trim().split(/\s+/);
  if (fields.length !== 5 || !fields.every((field) => CRON_FIELD.test(field))) {
    throw configError(
      `auditfeed:schedule must be a five-field cron expression (minute hour day month weekday, UTC) such as "${DEFAULT_SCHEDULE}"; got "${value}".`,
    );
  }
  return fields.join(" ");
}

function httpsUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== "https:") {
    throw configError(`auditfeed:sinkUrl must be an https:// URL; got "${value}".`);
  }
  return value;
}
