import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { MockCallArgs, MockResourceArgs } from "@pulumi/pulumi/runtime/mocks.js";

/** Role ids as Microsoft publishes them: what consent must resolve by name from the tenant's service principals. */
export const ACTIVITY_FEED_READ = "594c1fb6-4f81-4475-ae41-0c394909246c";
export const ACTIVITY_FEED_READ_DLP = "4807a72c-ad38-4250-94c9-4eabfe26cd55";
export const USER_READ_ALL = "df021288-bdef-4463-88db-98f22de89214";
export const USER_ENABLE_DISABLE_ACCOUNT_ALL = "3011c876-62b7-4ada-afa2-506cbbecc68c";

export const OFFICE365_SP_OBJECT_ID = "11111111-0000-0000-0000-00000000o365";
export const GRAPH_SP_OBJECT_ID = "22222222-0000-0000-0000-0000000graph";
export const DEPLOYER_OBJECT_ID = "33333333-0000-0000-0000-000000deploy";
export const SUBSCRIPTION_ID = "44444444-0000-0000-0000-00000000subs";
export const PASSWORD_VALUE = "mock-client-secret-value";
export const PRIVATE_KEY_PEM = "-----BEGIN PRIVATE KEY-----\nmock\n-----END PRIVATE KEY-----\n";
export const CERTIFICATE_PEM = "-----BEGIN CERTIFICATE-----\nmock\n-----END CERTIFICATE-----\n";
export const SHARED_KEY = "mock-workspace-shared-key";

/** Material that must never appear in a plain (non-secret) output. */
export const SECRET_MATERIAL = [PASSWORD_VALUE, PRIVATE_KEY_PEM, SHARED_KEY];

export interface MockOptions {
  /** Tenant the azure-native provider (and so every managed identity) lives in. */
  readonly azureTenantId: string;
  /** Outputs of the stacks a StackReference may name (MSSP mode: the provider stack's), by fully qualified name. */
  readonly providerOutputs?: Readonly<Record<string, Record<string, unknown>>>;
}

/**
 * Pulumi mocks that return what the real providers compute (object ids, app role maps, keys, URIs) and record
 * every registered resource. Install before any resource is created.
 */
export function installMocks(options: MockOptions, project = "auditfeed", stack = "test"): MockResourceArgs[] {
  const registered: MockResourceArgs[] = [];
  const mocks: pulumi.runtime.Mocks = {
    newResource(args) {
      registered.push(args);
      const inputs = args.inputs as Record<string, unknown>;
      return { id: `${args.name}-id`, state: { ...inputs, ...computedState(args, options, registered) } };
    },
    call(args: MockCallArgs) {
      return callResult(args, options);
    },
  };
  void pulumi.runtime.setMocks(mocks, project, stack, false);
  return registered;
}

function computedState(args: MockResourceArgs, options: MockOptions, registered: readonly MockResourceArgs[]): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.type) {
    case "azure-native:monitor:DataCollectionEndpoint": {
      // Azure answers with a host in the provider's cloud: the Logs Ingestion domain differs in Azure Government.
      const suffix = azureEnvironment(args, registered) === "usgovernment" ? "azure.us" : "azure.com";
      return { logsIngestion: { endpoint: `https://${args.name}-a1b2.${String(inputs.location)}-1.ingest.monitor.${suffix}` } };
    }
    case "azure-native:monitor:DataCollectionRule":
      return { immutableId: `dcr-${createHash("sha256").update(args.name).digest("hex").slice(0, 32)}` };
    case "azuread:index/application:Application":
      return { clientId: mockGuid(`client-id-${args.name}`), objectId: `object-id-${args.name}` };
    case "azuread:index/servicePrincipal:ServicePrincipal":
      return { objectId: `sp-object-id-${args.name}` };
    case "azuread:index/applicationPassword:ApplicationPassword":
      return { value: PASSWORD_VALUE, keyId: `key-${args.name}` };
    case "tls:index/privateKey:PrivateKey":
      return { privateKeyPem: PRIVATE_KEY_PEM, privateKeyPemPkcs8: PRIVATE_KEY_PEM };
    case "tls:index/selfSignedCert:SelfSignedCert":
      return { certPem: CERTIFICATE_PEM, validityStartTime: "2026-01-01T00:00:00Z", validityEndTime: "2026-07-01T00:00:00Z" };
    case "azure-native:managedidentity:UserAssignedIdentity":
      return { principalId: `principal-${args.name}`, clientId: mockGuid(`mi-client-${args.name}`), tenantId: options.azureTenantId };
    case "azure-native:storage:StorageAccount":
      return { name: `${args.name}abc123`, primaryEndpoints: { blob: `https://${args.name}abc123.blob.core.windows.net/` } };
    case "azure-native:keyvault:Vault":
    case "azure-native:operationalinsights:Workspace":
    case "azure-native:app:Job":
    case "azure-native:resources:ResourceGroup":
      return { name: `${args.name}-x1`, customerId: `workspace-${args.name}` };
    case "azure-native:keyvault:Secret":
      return { properties: { secretUri: `https://vault.vault.azure.net/secrets/${String(inputs.secretName)}` } };
    case "pulumi:pulumi:StackReference": {
      const outputs = options.providerOutputs?.[String(inputs.name)];
      if (outputs === undefined) throw new Error(`no mock stack ${String(inputs.name)}`);
      return { outputs, secretOutputNames: [] };
    }
    default:
      return {};
  }
}

/** The `environment` of the azure-native provider a resource was created with (registered earlier under its name). */
function azureEnvironment(args: MockResourceArgs, registered: readonly MockResourceArgs[]): unknown {
  const name = args.provider?.split("::")[3];
  const provider = registered.find((resource) => resource.type === "pulumi:providers:azure-native" && resource.name === name);
  return (provider?.inputs as Record<string, unknown> | undefined)?.["environment"];
}

function callResult(args: MockCallArgs, options: MockOptions): Record<string, unknown> {
  const inputs = args.inputs as Record<string, unknown>;
  switch (args.token) {
    case "azuread:index/getServicePrincipal:getServicePrincipal":
      if (inputs.clientId === "c5393580-f805-4401-95e8-94b7a6ef2fc2") {
        return {
          objectId: OFFICE365_SP_OBJECT_ID,
          clientId: inputs.clientId,
          appRoleIds: {
            "ActivityFeed.Read": ACTIVITY_FEED_READ,
            "ActivityFeed.ReadDlp": ACTIVITY_FEED_READ_DLP,
            "ServiceHealth.Read": "e2cea78f-e743-4d8f-a16a-75b629a038ae",
          },
        };
      }
      if (inputs.clientId === "00000003-0000-0000-c000-000000000000") {
        return {
          objectId: GRAPH_SP_OBJECT_ID,
          clientId: inputs.clientId,
          appRoleIds: { "User.Read.All": USER_READ_ALL, "User.EnableDisableAccount.All": USER_ENABLE_DISABLE_ACCOUNT_ALL },
        };
      }
      throw new Error(`no mock service principal for ${String(inputs.clientId)}`);
    case "azuread:index/getClientConfig:getClientConfig":
      return { objectId: DEPLOYER_OBJECT_ID, tenantId: "deployer-tenant", clientId: "deployer-client" };
    case "azure-native:authorization:getClientConfig":
      return { subscriptionId: SUBSCRIPTION_ID, tenantId: options.azureTenantId, objectId: DEPLOYER_OBJECT_ID, clientId: "deployer-client" };
    case "azure-native:operationalinsights:getSharedKeys":
      return { primarySharedKey: SHARED_KEY };
    default:
      throw new Error(`unexpected invoke ${args.token}`);
  }
}

/**
 * A GUID derived from `seed`: client ids are GUIDs in Entra, and the collector refuses anything else, so the mocks
 * return GUIDs too (tests compute the same one from the resource name).
 */
export function mockGuid(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Resolves an output under mocks. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}
