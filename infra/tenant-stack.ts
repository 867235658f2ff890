import * as azureNative from "@pulumi/azure-native";
import * as azuread from "@pulumi/azuread";
import * as pulumi from "@pulumi/pulumi";
import { CollectorRuntime } from "./collector-runtime.ts";
import type { SharedRuntime } from "./collector-runtime.ts";
import type { StackConfig } from "./config.ts";
import type { ProviderOutputName } from "./provider-contract.ts";
import { rotationWindow } from "./rotation.ts";
import { requestedApiRoles, TenantAccess } from "./tenant-access.ts";

/** What a stack needs besides its validated configuration. */
export interface TenantStackInputs {
  /** Stack name, written into the app's notes. */
  readonly stack: string;
  /** The deployment's clock: picks the credential rotation period. */
  readonly now: Date;
  /** `azure-native:subscriptionId` / `azure-native:tenantId`, passed to the explicit provider when set. */
  readonly azureSubscriptionId: string | undefined;
  readonly azureTenantId: string | undefined;
}

/** The stack's outputs. Nothing secret is among them: credentials stay in Key Vault and encrypted state. */
export interface TenantStackOutputs {
  readonly clientId: pulumi.Output<string>;
  readonly tenantId: string;
  readonly servicePrincipalObjectId: pulumi.Output<string>;
  readonly grantedRoles: readonly string[];
  readonly credential: string;
  readonly credentialExpiresAt: pulumi.Output<string> | undefined;
  readonly jobName: pulumi.Output<string>;
  readonly resourceGroupName: pulumi.Output<string>;
  readonly stateLocation: pulumi.Output<string>;
}

/**
 * Declares one customer tenant's onboarding: its Entra side through an azuread provider pinned to the customer
 * tenant and cloud, and the collector runtime through an azure-native provider in the matching Azure environment.
 * In MSSP mode (`providerStack`) the Entra side is the provider app's service principal and grants, and the runtime
 * uses the provider's shared pieces, both read from the provider stack's outputs.
 * `opts` reaches both components (tests pass transformations through it).
 */
export function declareTenantStack(config: StackConfig, inputs: TenantStackInputs, opts: pulumi.ComponentResourceOptions = {}): TenantStackOutputs {
  const entra = new azuread.Provider(`${config.customer}-entra`, { tenantId: config.tenantId, environment: config.cloud.azureadEnvironment });
  const azure = new azureNative.Provider(`${config.customer}-azure`, {
    environment: config.cloud.azureEnvironment,
    ...(inputs.azureSubscriptionId === undefined ? {} : { subscriptionId: inputs.azureSubscriptionId }),
    ...(inputs.azureTenantId === undefined ? {} : { tenantId: inputs.azureTenantId }),
  });

  const provider = config.providerStack === undefined ? undefined : providerStackOutputs(config, config.providerStack, inputs.stack);
  const access = new TenantAccess(
    `${config.customer}-access`,
    {
      customerDisplayName: config.customerDisplayName,
      globalReader: config.globalReader,
      graphUserRead: config.graphUserRead,
      graphUserDisable: config.graphUserDisable,
      provisionManagementApiServicePrincipal: config.provisionManagementApiServicePrincipal,
      stack: inputs.stack,
      ...(provider === undefined ? {} : { providerClientId: provider.clientId }),
    },
    { ...opts, providers: { azuread: entra } },
  );
  const runtime = new CollectorRuntime(
    `${config.customer}-collector`,
    {
      customer: config.customer,
      location: config.location,
      cloud: config.cloud,
      tenantId: config.tenantId,
      publisherId: config.publisherId,
      contentTypes: config.contentTypes,
      image: config.image,
      imageRegistry: config.imageRegistry,
      schedule: config.schedule,
      replicaTimeoutSeconds: config.replicaTimeoutSeconds,
      logRetentionDays: config.logRetentionDays,
      credential: config.credential,
      rotation: rotationWindow(inputs.now, config.credentialRotationDays),
      app: { applicationResourceId: access.applicationResourceId, clientId: access.clientId },
      grants: access.grants,
      sink: config.sink,
      alertActionGroupId: config.alertActionGroupId,
      ...(provider === undefined ? {} : { shared: provider.shared }),
    },
    { ...opts, providers: { "azure-native": azure, azuread: entra } },
  );

  return {
    clientId: access.clientId,
    tenantId: config.tenantId,
    servicePrincipalObjectId: access.servicePrincipalObjectId,
    grantedRoles: access.grantedRoles,
    credential: config.credential,
    credentialExpiresAt: runtime.credentialExpiresAt,
    jobName: runtime.jobName,
    resourceGroupName: runtime.resourceGroupName,
    stateLocation: runtime.stateLocation,
  };
}

/**
 * Refuses a provider stack this tenant cannot use: another cloud (an app is consented only in its own cloud's Entra),
 * or an app that does not declare a role this tenant grants. Returns the app's client id once both hold.
 */
export function checkProvider(
  config: Pick<StackConfig, "cloud" | "graphUserRead" | "graphUserDisable">,
  providerStack: string,
  provider: { readonly cloud: string; readonly declaredRoles: readonly string[]; readonly clientId: string },
): string {
  if (provider.cloud !== config.cloud.name) {
    throw new Error(
      `The provider stack ${providerStack} serves the ${provider.cloud} cloud, but auditfeed:cloud is ${config.cloud.name}: a multi-tenant app can be consented only in its own cloud. Point auditfeed:providerStack at a provider stack of the ${config.cloud.name} cloud.`,
    );
  }
  const missing = requestedApiRoles(config)
    .flatMap((request) => request.roles)
    .filter((role) => !provider.declaredRoles.includes(role));
  if (missing.length > 0) {
    throw new Error(
      `This tenant grants ${missing.join(", ")}, which the app of the provider stack ${providerStack} does not declare (it declares ${provider.declaredRoles.join(", ")}). Turn the matching auditfeed-provider:graphUser* setting on in that stack and run \`pulumi up\` there first, or turn the setting off here.`,
    );
  }
  return provider.clientId;
}

/** The provider stack's outputs through a StackReference: its app's client id (checked) and its shared runtime. */
function providerStackOutputs(config: StackConfig, providerStack: string, stack: string): { clientId: pulumi.Output<string>; shared: SharedRuntime } {
  const reference = new pulumi.StackReference(`${config.customer}-provider`, { name: providerStack });
  const text = (output: ProviderOutputName): pulumi.Output<string> => reference.requireOutput(output).apply((value: unknown) => String(value));
  const clientId = pulumi
    .all([reference.requireOutput("cloud"), reference.requireOutput("declaredRoles"), reference.requireOutput("clientId")])
    .apply(([cloud, declaredRoles, id]: unknown[]) =>
      checkProvider(config, providerStack, {
        cloud: String(cloud),
        declaredRoles: Array.isArray(declaredRoles) ? declaredRoles.map(String) : [],
        clientId: String(id),
      }),
    );
  return {
    clientId,
    shared: {
      identity: { resourceId: text("identityResourceId"), clientId: text("identityClientId"), principalId: text("identityPrincipalId") },
      location: text("location"),
      environmentId: text("environmentId"),
      resourceGroupName: text("resourceGroupName"),
      stateAccountName: text("stateAccountName"),
      stateBlobEndpoint: text("stateBlobEndpoint"),
      workspaceId: text("workspaceId"),
      stack,
    },
  };
}
