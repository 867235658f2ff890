import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { MockResourceArgs } from "@pulumi/pulumi/runtime/mocks.js";
import { CLOUD_NAMES, CLOUDS, type CloudName } from "../../collector/src/config/clouds.ts";
import { createClientCertificate } from "../../emulator/src/tls.ts";
import { parseStackConfig, type CredentialMode, type StackConfig } from "../../infra/config.ts";
import { declareTenantStack } from "../../infra/tenant-stack.ts";
import { installMocks, mockGuid, valueOf } from "./mocks.ts";

// The Job resource of a mocked tenant stack and the process environment Container Apps builds from it: what
// test/infra/job-environment.test.ts hands to the collector's loader and test/e2e/job-environment.test.ts to `auditfeed once`.

export const CUSTOMER_TENANT = "7d3c1a52-8f4e-4b9a-9c21-5e6f7a8b9c0d";
export const MSSP_TENANT = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
export const PROVIDER_APP = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
/** The provider's shared user-assigned identity (identity ids are GUIDs in Azure). */
export const PROVIDER_IDENTITY = { clientId: mockGuid("provider-identity"), principalId: "provider-principal", tenantId: MSSP_TENANT } as const;
export const PROVIDER_STATE_ACCOUNT = "fabrikamstate1234";

/** Each credential mode of a dedicated stack, and MSSP mode (the provider's app and identity, federated across tenants). */
export type Mode = CredentialMode | "mssp";
export const MODES: readonly Mode[] = ["federated", "certificate", "secret", "mssp"];
export const STACK_CASES = CLOUD_NAMES.flatMap((cloud) => MODES.map((mode) => ({ cloud, mode })));

/** MSSP mode: the outputs of a provider stack per cloud, as infra/provider exports them. */
export function providerOutputs(cloud: CloudName): Record<string, unknown> {
  return {
    tenantId: MSSP_TENANT,
    cloud,
    clientId: PROVIDER_APP,
    declaredRoles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp"],
    federatedCredential: {
      issuer: `https://${CLOUDS[cloud].authorityHost}/${MSSP_TENANT}/v2.0`,
      subject: PROVIDER_IDENTITY.principalId,
      audience: CLOUDS[cloud].tokenExchangeAudience,
    },
    identityResourceId: "/subscriptions/s/resourceGroups/fabrikam/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shared",
    identityClientId: PROVIDER_IDENTITY.clientId,
    identityPrincipalId: PROVIDER_IDENTITY.principalId,
    location: "westeurope",
    resourceGroupName: "fabrikam-mssp-rg1234",
    environmentId: "/subscriptions/s/resourceGroups/fabrikam/providers/Microsoft.App/managedEnvironments/shared",
    stateAccountName: PROVIDER_STATE_ACCOUNT,
    stateBlobEndpoint: `https://${PROVIDER_STATE_ACCOUNT}.blob.${CLOUDS[cloud].storageSuffix}/`,
    workspaceId: "/subscriptions/s/resourceGroups/fabrikam/providers/Microsoft.OperationalInsights/workspaces/shared",
  };
}

export function providerStackName(cloud: CloudName): string {
  return `fabrikam/auditfeed-provider/${cloud}`;
}

/** Pulumi mocks for tenant stacks in the customer tenant, with a provider stack per cloud; returns every registered resource. */
export function installStackMocks(): MockResourceArgs[] {
  return installMocks({
    azureTenantId: CUSTOMER_TENANT,
    providerOutputs: Object.fromEntries(CLOUD_NAMES.map((cloud) => [providerStackName(cloud), providerOutputs(cloud)])),
  });
}

/** What Key Vault holds for each job secret: stand-ins the collector accepts (the certificate is a real PEM and key). */
export const CERTIFICATE = createClientCertificate("auditfeed-job-environment-test");
export const SECRET_VALUES: Readonly<Record<string, string>> = {
  "client-secret": "stand-in-client-secret",
  "client-certificate": `${CERTIFICATE.certPem}${CERTIFICATE.keyPem}`,
};

export interface JobInputs {
  readonly configuration: { readonly secrets?: readonly { readonly name: string }[] };
  readonly template: {
    readonly containers: readonly {
      readonly env: readonly { readonly name: string; readonly value?: string; readonly secretRef?: string }[];
      readonly volumeMounts: readonly { readonly volumeName: string; readonly mountPath: string }[];
    }[];
    readonly volumes: readonly { readonly name: string; readonly secrets: readonly { readonly secretRef: string; readonly path: string }[] }[];
  };
}

export interface StackJob {
  readonly cloud: CloudName;
  readonly mode: Mode;
  readonly customer: string;
  readonly job: JobInputs;
  /** Every resource the stack registered (its name starts with `<customer>-`). */
  readonly resources: readonly MockResourceArgs[];
}

let deployments = 0;

/** Declares a tenant stack under the mocks and returns its Job resource's inputs, as Container Apps would receive them. */
/** Declares the tenant stack of `config` under the mocks, as `pulumi up` would on a fixed date, and waits for its job. */
export async function deployTenantStack(config: StackConfig, stack = "test"): Promise<void> {
  const outputs = declareTenantStack(config, {
    stack,
    now: new Date("2026-11-22T10:00:00Z"),
    azureSubscriptionId: undefined,
    azureTenantId: undefined,
  });
  await valueOf(pulumi.all([outputs.jobName, outputs.stateLocation]));
}

export async function declareStackJob(
  registered: readonly MockResourceArgs[],
  cloud: CloudName,
  mode: Mode,
  extra: Readonly<Record<string, string>> = {},
): Promise<StackJob> {
  const customer = `env${++deployments}`;
  const modeSettings = mode === "mssp" ? { providerStack: providerStackName(cloud) } : { credential: mode, subscriptionTenantId: CUSTOMER_TENANT };
  const config = parseStackConfig({ customer, tenantId: CUSTOMER_TENANT, cloud, ...modeSettings, ...extra });
  await deployTenantStack(config);
  const resources = registered.filter((resource) => resource.name.startsWith(`${customer}-`));
  const jobs = resources.filter((resource) => resource.type === "azure-native:app:Job");
  if (jobs.length !== 1) throw new Error(`the stack of ${customer} declares ${jobs.length} jobs, not one`);
  return { cloud, mode, customer, job: jobs[0]?.inputs as JobInputs, resources };
}

/** The inputs of the one resource of `type` in the stack. */
export function resourceOf(stack: StackJob, type: string): Record<string, unknown> {
  const found = stack.resources.filter((resource) => resource.type === type);
  if (found.length !== 1) throw new Error(`the stack of ${stack.customer} declares ${found.length} ${type}, not one`);
  return found[0]?.inputs as Record<string, unknown>;
}

/** The client id the mocks give the stack's app registration, and the principal of its collector identity (dedicated modes). */
export function dedicatedIdentities(stack: StackJob): { appClientId: string; identity: { clientId: string; principalId: string; tenantId: string } } {
  const app = stack.resources.find((resource) => resource.type === "azuread:index/application:Application");
  const identity = stack.resources.find((resource) => resource.type === "azure-native:managedidentity:UserAssignedIdentity");
  if (app === undefined || identity === undefined) throw new Error(`the stack of ${stack.customer} has no app registration or no identity of its own`);
  return {
    appClientId: mockGuid(`client-id-${app.name}`),
    identity: { clientId: mockGuid(`mi-client-${identity.name}`), principalId: `principal-${identity.name}`, tenantId: CUSTOMER_TENANT },
  };
}

/**
 * The process environment the container gets, as Container Apps builds it: plain values as given, secret references
 * resolved from Key Vault (`valueOf`; default `SECRET_VALUES`), and secret volumes projected as files (here under `folder` instead of the
 * mount path). Throws when the job references a secret it does not declare.
 */
export function containerEnvironment(
  job: JobInputs,
  folder: string,
  valueOf: (name: string) => string = (name) => SECRET_VALUES[name] ?? "",
): Record<string, string> {
  const [container] = job.template.containers;
  if (container === undefined) throw new Error("the job has no container");
  const declared = new Set((job.configuration.secrets ?? []).map((secret) => secret.name));
  const secretValue = (name: string, user: string): string => {
    if (!declared.has(name)) throw new Error(`${user} references the secret ${name}, which the job does not declare`);
    return valueOf(name);
  };
  const mounts = container.volumeMounts.map((mount) => {
    const volume = job.template.volumes.find((candidate) => candidate.name === mount.volumeName);
    const projected = join(folder, mount.volumeName);
    mkdirSync(projected, { recursive: true });
    for (const file of volume?.secrets ?? []) writeFileSync(join(projected, file.path), secretValue(file.secretRef, `volume file ${file.path}`));
    return { from: mount.mountPath, to: projected };
  });
  const env: Record<string, string> = {};
  for (const variable of container.env) {
    if (variable.secretRef !== undefined) {
      env[variable.name] = secretValue(variable.secretRef, variable.name);
    } else {
      const mount = mounts.find(({ from }) => variable.value?.startsWith(`${from}/`));
      env[variable.name] = mount === undefined ? String(variable.value) : mount.to + String(variable.value).slice(mount.from.length);
    }
  }
  return env;
}
