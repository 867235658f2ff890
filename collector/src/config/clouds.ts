/**
 * The Microsoft clouds auditfeed supports, and every endpoint that depends on the choice.
 * One table, used by the collector (hosts, authority, scope) and by infra/ (provider environments),
 * so the two can never disagree. China (21Vianet) is left out: Microsoft documents no Management Activity API there.
 */
export const CLOUD_NAMES = ["commercial", "gcc", "gcchigh", "dod"] as const;

export type CloudName = (typeof CLOUD_NAMES)[number];

export interface Cloud {
  readonly name: CloudName;
  /** Host of the Management Activity API; the only host a bearer token is ever sent to. */
  readonly managementHost: string;
  /** Entra authority host for token requests. */
  readonly authorityHost: string;
  /** OAuth 2.0 scope of the Management Activity API (the v2 form of the token audience). */
  readonly scope: string;
  /** Audience of the managed-identity assertion exchanged for an app token (federated credentials). */
  readonly tokenExchangeAudience: string;
  /** Microsoft Graph host. */
  readonly graphHost: string;
  /** `environment` of the @pulumi/azuread provider. */
  readonly azureadEnvironment: "global" | "usgovernmentl4" | "usgovernmentl5";
  /** DNS suffix of Azure Storage endpoints: an account's blob endpoint is `https://<account>.blob.<suffix>`. */
  readonly storageSuffix: string;
  /** `environment` of the @pulumi/azure-native provider (the collector's Azure runtime). */
  readonly azureEnvironment: "public" | "usgovernment";
  /**
   * Token audience of the Azure Monitor Logs Ingestion API in the runtime's Azure cloud (the Sentinel sink asks for
   * `<audience>/.default`; Microsoft's docs write the scope `https://monitor.azure.com//.default`, the same resource).
   */
  readonly monitorAudience: string;
  /** DNS suffix of Logs Ingestion endpoints (data collection endpoints and rules): the only hosts the Sentinel sink sends its token to. */
  readonly monitorIngestionSuffix: string;
}

export const CLOUDS: Readonly<Record<CloudName, Cloud>> = {
  commercial: {
    name: "commercial",
    managementHost: "manage.office.com",
    authorityHost: "login.microsoftonline.com",
    scope: "https://manage.office.com/.default",
    tokenExchangeAudience: "api://AzureADTokenExchange",
    graphHost: "graph.microsoft.com",
    azureadEnvironment: "global",
    storageSuffix: "core.windows.net",
    azureEnvironment: "public",
    monitorAudience: "https://monitor.azure.com",
    monitorIngestionSuffix: "ingest.monitor.azure.com",
  },
  // GCC keeps the commercial Entra and Graph; only the Management API host differs.
  gcc: {
    name: "gcc",
    managementHost: "manage-gcc.office.com",
    authorityHost: "login.microsoftonline.com",
    scope: "https://manage-gcc.office.com/.default",
    tokenExchangeAudience: "api://AzureADTokenExchange",
    graphHost: "graph.microsoft.com",
    azureadEnvironment: "global",
    storageSuffix: "core.windows.net",
    azureEnvironment: "public",
    monitorAudience: "https://monitor.azure.com",
    monitorIngestionSuffix: "ingest.monitor.azure.com",
  },
  gcchigh: {
    name: "gcchigh",
    managementHost: "manage.office365.us",
    authorityHost: "login.microsoftonline.us",
    scope: "https://manage.office365.us/.default",
    tokenExchangeAudience: "api://AzureADTokenExchangeUSGov",
    graphHost: "graph.microsoft.us",
    azureadEnvironment: "usgovernmentl4",
    storageSuffix: "core.usgovcloudapi.net",
    azureEnvironment: "usgovernment",
    monitorAudience: "https://monitor.azure.us",
    monitorIngestionSuffix: "ingest.monitor.azure.us",
  },
  dod: {
    name: "dod",
    managementHost: "manage.protection.apps.mil",
    authorityHost: "login.microsoftonline.us",
    scope: "https://manage.protection.apps.mil/.default",
    tokenExchangeAudience: "api://AzureADTokenExchangeUSGov",
    graphHost: "dod-graph.microsoft.us",
    azureadEnvironment: "usgovernmentl5",
    storageSuffix: "core.usgovcloudapi.net",
    azureEnvironment: "usgovernment",
    monitorAudience: "https://monitor.azure.us",
    monitorIngestionSuffix: "ingest.monitor.azure.us",
  },
};

export function isCloudName(value: string): value is CloudName {
  return (CLOUD_NAMES as readonly string[]).includes(value);
}
