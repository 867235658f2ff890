import * as azureNative from "@pulumi/azure-native";
import * as azuread from "@pulumi/azuread";
import type * as pulumi from "@pulumi/pulumi";
import type { ProviderOutputName } from "../provider-contract.ts";
import type { ProviderConfig } from "./config.ts";
import { MsspProvider } from "./mssp-provider.ts";

/** What a provider stack needs besides its validated configuration. */
export interface ProviderStackInputs {
  /** Stack name, written into the app's notes. */
  readonly stack: string;
  /** `azure-native:subscriptionId` / `azure-native:tenantId`, passed to the explicit provider when set. */
  readonly azureSubscriptionId: string | undefined;
  readonly azureTenantId: string | undefined;
}

/** The provider stack's outputs, one per name of the contract with tenant stacks; none is secret. */
export type ProviderStackOutputs = Readonly<Record<ProviderOutputName, pulumi.Input<unknown>>>;

/**
 * Declares an MSSP's provider stack: the multi-tenant app and the shared runtime in the MSSP's own tenant and
 * subscription, through providers pinned to that tenant and cloud. `opts` reaches the component (tests pass
 * transformations through it).
 */
export function declareProviderStack(config: ProviderConfig, inputs: ProviderStackInputs, opts: pulumi.ComponentResourceOptions = {}): ProviderStackOutputs {
  const entra = new azuread.Provider(`${config.name}-entra`, { tenantId: config.tenantId, environment: config.cloud.azureadEnvironment });
  const azure = new azureNative.Provider(`${config.name}-azure`, {
    environment: config.cloud.azureEnvironment,
    ...(inputs.azureSubscriptionId === undefined ? {} : { subscriptionId: inputs.azureSubscriptionId }),
    ...(inputs.azureTenantId === undefined ? {} : { tenantId: inputs.azureTenantId }),
  });
  const provider = new MsspProvider(
    `${config.name}-mssp`,
    {
      name: config.name,
      displayName: config.displayName,
      tenantId: config.tenantId,
      cloud: config.cloud,
      location: config.location,
      graphUserRead: config.graphUserRead,
      graphUserDisable: config.graphUserDisable,
      logRetentionDays: config.logRetentionDays,
      decommission: config.decommission,
      stack: inputs.stack,
    },
    { ...opts, providers: { azuread: entra, "azure-native": azure } },
  );
  return {
    tenantId: config.tenantId,
    cloud: config.cloud.name,
    clientId: provider.clientId,
    declaredRoles: provider.declaredRoles,
    federatedCredential: provider.federatedCredential,
    identityResourceId: provider.identityResourceId,
    identityClientId: provider.identityClientId,
    identityPrincipalId: provider.identityPrincipalId,
    location: config.location,
    resourceGroupName: provider.resourceGroupName,
    environmentId: provider.environmentId,
    stateAccountName: provider.stateAccountName,
    stateBlobEndpoint: provider.stateBlobEndpoint,
    workspaceId: provider.workspaceId,
  };
}
