import * as azureNative from "@pulumi/azure-native";
import * as azuread from "@pulumi/azuread";
import type * as pulumi from "@pulumi/pulumi";
import { CollectorRuntime } from "./collector-runtime.ts";
import type { StackConfig } from "./config.ts";
import { rotationWindow } from "./rotation.ts";
import { TenantAccess } from "./tenant-access.ts";

/** What a stack needs besides its validated configuration. */
export interface TenantStackInputs {
  /** Stack name, written into the app's notes. */
  readonly stack: string;
  /** The deployment's clock: picks the credential rotation period. */
  readonly now: Date;
  /** `auditfeed:sinkSecret`, already a Pulumi secret. */
  readonly sinkSecret: pulumi.Output<string> | undefined;
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
 * `opts` reaches both components (tests pass transformations through it).
 */
export function declareTenantStack(config: StackConfig, inputs: TenantStackInputs, opts: pulumi.ComponentResourceOptions = {}): TenantStackOutputs {
  const entra = new azuread.Provider(`${config.customer}-entra`, { tenantId: config.tenantId, environment: config.cloud.azureadEnvironment });
  const azure = new azureNative.Provider(`${config.customer}-azure`, {
    environment: config.cloud.azureEnvironment,
    ...(inputs.azureSubscriptionId === undefined ? {} : { subscriptionId: inputs.azureSubscriptionId }),
    ...(inputs.azureTenantId === undefined ? {} : { tenantId: inputs.azureTenantId }),
  });

  const access = new TenantAccess(
    `${config.customer}-access`,
    {
      customerDisplayName: config.customerDisplayName,
      globalReader: config.globalReader,
      graphUserRead: config.graphUserRead,
      graphUserDisable: config.graphUserDisable,
      provisionManagementApiServicePrincipal: config.provisionManagementApiServicePrincipal,
      stack: inputs.stack,
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
      schedule: config.schedule,
      replicaTimeoutSeconds: config.replicaTimeoutSeconds,
      logRetentionDays: config.logRetentionDays,
      credential: config.credential,
      rotation: rotationWindow(inputs.now, config.credentialRotationDays),
      app: { applicationResourceId: access.applicationResourceId, clientId: access.clientId },
      grants: access.grants,
      sink: { name: config.sink, url: config.sinkUrl, secret: inputs.sinkSecret },
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
