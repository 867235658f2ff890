import type { Cloud } from "../../collector/src/config/clouds.ts";
import { ConfigValues, configError, defaultLocation } from "../config-values.ts";

/** Every key of the provider project's (`auditfeed-provider:`) namespace. */
export const PROVIDER_CONFIG_KEYS = [
  "name",
  "displayName",
  "tenantId",
  "cloud",
  "location",
  "graphUserRead",
  "graphUserDisable",
  "logRetentionDays",
  "decommission",
] as const;
export type ProviderConfigKey = (typeof PROVIDER_CONFIG_KEYS)[number];

/** The validated settings of an MSSP's provider stack. Built only by `parseProviderConfig`. */
export interface ProviderConfig {
  /** Short lowercase name of the MSSP; prefixes every Azure resource name. */
  readonly name: string;
  /** The MSSP's name as customers' admins read it in the app's name, on the consent they give. */
  readonly displayName: string;
  /** The MSSP's own Entra tenant: home of the multi-tenant app and of the managed identity it trusts. */
  readonly tenantId: string;
  /** One provider serves customers of one cloud: an app and its consents live in one cloud's Entra. */
  readonly cloud: Cloud;
  readonly location: string;
  /** Declare Microsoft Graph User.Read.All, so tenant stacks may grant it. */
  readonly graphUserRead: boolean;
  /** Declare Microsoft Graph User.EnableDisableAccount.All, so tenant stacks may grant it. */
  readonly graphUserDisable: boolean;
  readonly logRetentionDays: number;
  /** Lifts `protect` from the shared pieces, the first step of taking the provider down (see docs/deploy.md). */
  readonly decommission: boolean;
}

const NAME = /^[a-z][a-z0-9]{2,11}$/;

/** Validates the provider stack's configuration and fills in defaults (the CLI's schema check does not run under mocks). */
export function parseProviderConfig(
  values: Readonly<Record<string, string>>,
  context: { readonly azureNativeTenantId?: string | undefined } = {},
): ProviderConfig {
  const config = new ConfigValues("auditfeed-provider", PROVIDER_CONFIG_KEYS, values);
  const name = config.required("name", "a short lowercase name of your organisation such as fabrikam");
  if (!NAME.test(name)) {
    throw configError(
      `${config.name("name")} must be 3 to 12 lowercase letters or digits starting with a letter (it prefixes Azure resource names); got "${name}". Set e.g. \`pulumi config set name fabrikam\`.`,
    );
  }
  const tenantId = config.guid("tenantId", config.required("tenantId", "your own Entra tenant id (a GUID), where the multi-tenant app is registered"));
  // The identity is created in the subscription's tenant and the app in tenantId; Entra trusts the pair only when both are one.
  if (context.azureNativeTenantId !== undefined && context.azureNativeTenantId.toLowerCase() !== tenantId) {
    throw configError(
      `${config.name("tenantId")} is ${tenantId} but azure-native:tenantId is ${context.azureNativeTenantId}: the managed identity and the multi-tenant app must be in the same tenant. Deploy into a subscription of tenant ${tenantId}.`,
    );
  }
  const cloud = config.cloud("cloud");
  return {
    name,
    displayName: config.optional("displayName") ?? name,
    tenantId,
    cloud,
    location: config.optional("location") ?? defaultLocation(cloud),
    graphUserRead: config.boolean("graphUserRead", false),
    graphUserDisable: config.boolean("graphUserDisable", false),
    logRetentionDays: config.integer("logRetentionDays", 30, 30, 730),
    decommission: config.boolean("decommission", false),
  };
}
