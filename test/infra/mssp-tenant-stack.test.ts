import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { CLOUDS } from "../../collector/src/config/clouds.ts";
import { parseStackConfig } from "../../infra/config.ts";
import { checkProvider, declareTenantStack } from "../../infra/tenant-stack.ts";
import type { TenantStackOutputs } from "../../infra/tenant-stack.ts";
import { expectConsentGraph } from "./consent-probe.ts";
import { pollUntil } from "../e2e/harness.ts";
import { installMocks, SECRET_MATERIAL, valueOf } from "./mocks.ts";

const CUSTOMER_TENANT = "7d3c1a52-8f4e-4b9a-9c21-5e6f7a8b9c0d";
const MSSP_TENANT = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
const PROVIDER_STACK = "fabrikam/auditfeed-provider/prod";
const PROVIDER_APP = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a";
const PROVIDER = {
  tenantId: MSSP_TENANT,
  cloud: "commercial",
  clientId: PROVIDER_APP,
  declaredRoles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp", "User.Read.All"],
  federatedCredential: { issuer: `https://login.microsoftonline.com/${MSSP_TENANT}/v2.0`, subject: "shared-principal", audience: "api://AzureADTokenExchange" },
  identityResourceId: "/subscriptions/s/resourceGroups/fabrikam/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shared",
  identityClientId: "shared-identity-client-id",
  identityPrincipalId: "shared-principal",
  location: "westeurope",
  resourceGroupName: "fabrikam-mssp-rg1234",
  environmentId: "/subscriptions/s/resourceGroups/fabrikam/providers/Microsoft.App/managedEnvironments/shared",
  stateAccountName: "fabrikamstate1234",
  stateBlobEndpoint: "https://fabrikamstate1234.blob.core.windows.net/",
  workspaceId: "/subscriptions/s/resourceGroups/fabrikam/providers/Microsoft.OperationalInsights/workspaces/shared",
};

const registered = installMocks({ azureTenantId: MSSP_TENANT, providerOutputs: { [PROVIDER_STACK]: PROVIDER } });

interface Captured {
  readonly type: string;
  readonly name: string;
  readonly resource: pulumi.Resource;
  readonly props: Record<string, unknown>;
  readonly opts: pulumi.CustomResourceOptions;
}

let deployments = 0;

async function deploy(values: Record<string, string> = {}): Promise<{ captured: Captured[]; outputs: TenantStackOutputs; customer: string }> {
  const customer = `mssp${++deployments}`;
  const config = parseStackConfig({ customer, tenantId: CUSTOMER_TENANT, providerStack: PROVIDER_STACK, ...values });
  const captured: Captured[] = [];
  const outputs = declareTenantStack(
    config,
    {
      stack: customer,
      now: new Date("2026-11-22T10:00:00Z"),
      azureSubscriptionId: undefined,
      azureTenantId: undefined,
    },
    {
      transformations: [
        (args) => {
          captured.push({ type: args.type, name: args.name, resource: args.resource, props: args.props, opts: args.opts });
          return undefined;
        },
      ],
    },
  );
  await valueOf(pulumi.all([outputs.jobName, outputs.stateLocation, outputs.servicePrincipalObjectId, outputs.clientId]));
  return { captured, outputs, customer };
}

function inputsOf(customer: string, type: string): Record<string, unknown>[] {
  return registered.filter((r) => r.type === type && r.name.startsWith(customer)).map((r) => r.inputs as Record<string, unknown>);
}

function jobEnv(job: Record<string, unknown> | undefined): Record<string, string> {
  const container = (job?.template as { containers: { env: { name: string; value?: string; secretRef?: string }[] }[] }).containers[0];
  return Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? `secretRef:${e.secretRef ?? ""}`]));
}

describe("tenant stack in MSSP mode", () => {
  it("should declare the provider app's service principal, its grants, and a runtime on the provider's shared pieces, with no app or credential of its own", async () => {
    const { captured } = await deploy();
    expect(captured.map((c) => c.type).sort()).toEqual(
      [
        "auditfeed:index:CollectorMonitoring",
        "auditfeed:index:CollectorRuntime",
        "auditfeed:index:TenantAccess",
        "azure-native:applicationinsights:Workbook",
        "azure-native:monitor:ScheduledQueryRule",
        "azure-native:monitor:ScheduledQueryRule",
        "azure-native:monitor:ScheduledQueryRule",
        "azuread:index/appRoleAssignment:AppRoleAssignment",
        "azuread:index/appRoleAssignment:AppRoleAssignment",
        "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment",
        "azuread:index/servicePrincipal:ServicePrincipal",
        "azure-native:app:Job",
        "azure-native:authorization:ManagementLockByScope",
        "azure-native:authorization:RoleAssignment",
        "azure-native:keyvault:Vault",
        "azure-native:resources:ResourceGroup",
        "azure-native:storage:BlobContainer",
      ].sort(),
    );
  });

  it("should read the provider stack through a StackReference and consent to its app in the customer tenant", async () => {
    const { customer, outputs } = await deploy();
    expect(
      registered.filter((r) => r.type === "pulumi:pulumi:StackReference" && r.name === `${customer}-provider`).map((r) => r.inputs as Record<string, unknown>),
    ).toEqual([{ name: PROVIDER_STACK }]);
    const [servicePrincipal] = inputsOf(customer, "azuread:index/servicePrincipal:ServicePrincipal");
    expect(servicePrincipal).toMatchObject({ clientId: PROVIDER_APP, useExisting: true });
    const [entra] = inputsOf(customer, "pulumi:providers:azuread");
    expect(entra).toMatchObject({ tenantId: CUSTOMER_TENANT });
    expect(await valueOf(outputs.clientId)).toBe(PROVIDER_APP);
    expect(outputs.credential).toBe("federated");
    expect(outputs.credentialExpiresAt).toBeUndefined();
  });

  it("should keep the independent probe of the consent graph true: grants from the provider app's service principal to Microsoft's, Microsoft's only read", async () => {
    const { customer } = await deploy({ graphUserRead: "true" });
    expectConsentGraph(registered, customer, { clientId: PROVIDER_APP, graphRoles: ["User.Read.All"] });
    const [assignment] = inputsOf(customer, "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment");
    expect(assignment).toEqual({ roleId: "f2ef992c-3afb-46b9-b7cf-a126ee74c451", principalObjectId: `sp-object-id-${customer}-access-sp` });
  });

  it("should run the job as the provider's identity in the provider's environment and region, with its state in its own container of the provider's account", async () => {
    const { customer, captured } = await deploy();
    const [job] = inputsOf(customer, "azure-native:app:Job");
    expect(job).toMatchObject({
      environmentId: PROVIDER.environmentId,
      location: PROVIDER.location,
      identity: { type: "UserAssigned", userAssignedIdentities: [PROVIDER.identityResourceId] },
    });
    expect(jobEnv(job)).toMatchObject({
      AUDITFEED_TENANT_ID: CUSTOMER_TENANT,
      AUDITFEED_CLIENT_ID: PROVIDER_APP,
      AUDITFEED_CREDENTIAL: "federated",
      AUDITFEED_MANAGED_IDENTITY_CLIENT_ID: PROVIDER.identityClientId,
      AUDITFEED_STATE: `azblob://${PROVIDER.stateAccountName}/state-${customer}`,
      AUDITFEED_STATE_BLOB_ENDPOINT: PROVIDER.stateBlobEndpoint,
    });
    const [container] = inputsOf(customer, "azure-native:storage:BlobContainer");
    expect(container).toMatchObject({
      resourceGroupName: PROVIDER.resourceGroupName,
      accountName: PROVIDER.stateAccountName,
      containerName: `state-${customer}`,
    });
    const [vaultAccess] = inputsOf(customer, "azure-native:authorization:RoleAssignment");
    expect(vaultAccess).toMatchObject({ principalId: PROVIDER.identityPrincipalId, scope: `${customer}kv-id` });
    const dependsOn = captured.find((c) => c.type === "azure-native:app:Job")?.opts.dependsOn as pulumi.Resource[];
    for (const type of [
      "azuread:index/appRoleAssignment:AppRoleAssignment",
      "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment",
      "azure-native:storage:BlobContainer",
      "azure-native:authorization:ManagementLockByScope",
      "azure-native:authorization:RoleAssignment",
    ]) {
      for (const resource of captured.filter((c) => c.type === type)) expect(dependsOn, resource.name).toContain(resource.resource);
    }
  });

  it("should alert and chart in the provider's workspace, where this customer's job logs, on this job's lines only", async () => {
    const actionGroup = "/subscriptions/0d6a9c1e-5b2f-4a3d-8e7c-1f2a3b4c5d6e/resourceGroups/soc/providers/microsoft.insights/actionGroups/soc-oncall";
    const { customer } = await deploy({ alertActionGroupId: actionGroup });
    // The rules and the workbook register once the job's name is known, after the outputs `deploy` waits for.
    const registeredAll = (): boolean =>
      inputsOf(customer, "azure-native:monitor:ScheduledQueryRule").length === 3 &&
      inputsOf(customer, "azure-native:applicationinsights:Workbook").length === 1;
    expect(await pollUntil(registeredAll, 10_000)).toBe(true);
    const rules = inputsOf(customer, "azure-native:monitor:ScheduledQueryRule");
    expect(rules.map((rule) => rule.displayName).sort()).toEqual([
      `auditfeed: a blob is quarantined (${customer})`,
      `auditfeed: runs failing repeatedly (${customer})`,
      `auditfeed: within 24 hours of losing data (${customer})`,
    ]);
    for (const rule of rules) {
      expect(rule).toMatchObject({ scopes: [PROVIDER.workspaceId], location: PROVIDER.location, actions: { actionGroups: [actionGroup] } });
      // In this stack's own resource group, not the provider's: destroying the tenant stack removes them.
      expect(rule.resourceGroupName).toBe(`${customer}-collector-rg-x1`);
      const [condition] = (rule.criteria as { allOf: Array<{ query: string }> }).allOf;
      expect(condition?.query).toContain(`ContainerJobName_s == "${customer}-job`);
    }
    const [workbook] = inputsOf(customer, "azure-native:applicationinsights:Workbook");
    expect(workbook).toMatchObject({ sourceId: PROVIDER.workspaceId });
    expect(workbook?.serializedData as string).toContain(PROVIDER.workspaceId);
  });

  it("should lock the provider's environment against deletion in this customer's name while the stack exists", async () => {
    const { customer } = await deploy();
    const [lock] = inputsOf(customer, "azure-native:authorization:ManagementLockByScope");
    expect(lock).toMatchObject({ scope: PROVIDER.environmentId, lockName: `auditfeed-tenant-${customer}`, level: "CanNotDelete" });
    expect(String(lock?.notes)).toContain(`The auditfeed tenant stack ${customer} runs`);
  });

  it("should hold no secret in its resources' inputs or its outputs", async () => {
    const { customer, outputs } = await deploy();
    expect(registered.filter((r) => r.name.startsWith(customer) && /keyvault:Secret|applicationPassword|applicationCertificate|tls:/.test(r.type))).toEqual([]);
    const inputs = JSON.stringify(registered.filter((r) => r.name.startsWith(customer)).map((r) => r.inputs as Record<string, unknown>));
    for (const material of SECRET_MATERIAL) expect(inputs).not.toContain(material);
    const values = Object.values(outputs)
      .filter((output) => output !== undefined)
      .map((output) => pulumi.output(output));
    for (const value of values) expect(await pulumi.isSecret(value)).toBe(false);
    const resolved = JSON.stringify(await valueOf(pulumi.all(values)));
    for (const material of SECRET_MATERIAL) expect(resolved).not.toContain(material);
  });

  it("should refuse settings that belong to the provider, naming each", () => {
    expect(() =>
      parseStackConfig({ customer: "contoso", tenantId: CUSTOMER_TENANT, providerStack: PROVIDER_STACK, credential: "secret", location: "westus" }),
    ).toThrow(
      "auditfeed:credential does not apply in MSSP mode (the collector signs in with the provider's managed identity); auditfeed:location does not apply in MSSP mode (the job runs in the region of the provider's Container Apps environment). Remove them with `pulumi config rm <key>`, or remove auditfeed:providerStack for a dedicated app and runtime.",
    );
    expect(() => parseStackConfig({ customer: "contoso", tenantId: CUSTOMER_TENANT, providerStack: "prod" })).toThrow(
      'auditfeed:providerStack must name the provider stack in full as <organization>/<project>/<stack>, e.g. fabrikam/auditfeed-provider/prod; got "prod".',
    );
  });

  it("should refuse a provider of another cloud, or one whose app does not declare a role this tenant grants", () => {
    const config = parseStackConfig({
      customer: "contoso",
      tenantId: CUSTOMER_TENANT,
      providerStack: PROVIDER_STACK,
      cloud: "gcchigh",
      graphUserDisable: "true",
    });
    expect(() => checkProvider(config, PROVIDER_STACK, PROVIDER)).toThrow(
      `The provider stack ${PROVIDER_STACK} serves the commercial cloud, but auditfeed:cloud is gcchigh: a multi-tenant app can be consented only in its own cloud.`,
    );
    expect(() => checkProvider(config, PROVIDER_STACK, { ...PROVIDER, cloud: CLOUDS.gcchigh.name })).toThrow(
      `This tenant grants User.EnableDisableAccount.All, which the app of the provider stack ${PROVIDER_STACK} does not declare (it declares ActivityFeed.Read, ActivityFeed.ReadDlp, User.Read.All).`,
    );
    expect(checkProvider({ ...config, graphUserDisable: false }, PROVIDER_STACK, { ...PROVIDER, cloud: "gcchigh" })).toBe(PROVIDER_APP);
  });
});
