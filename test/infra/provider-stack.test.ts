import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { CLOUDS } from "../../collector/src/config/clouds.ts";
import type { CloudName } from "../../collector/src/config/clouds.ts";
import { PROVIDER_OUTPUT_NAMES } from "../../infra/provider-contract.ts";
import { parseProviderConfig } from "../../infra/provider/config.ts";
import { assertIdentityInProviderTenant } from "../../infra/provider/mssp-provider.ts";
import { declareProviderStack } from "../../infra/provider/provider-stack.ts";
import type { ProviderStackOutputs } from "../../infra/provider/provider-stack.ts";
import {
  ACTIVITY_FEED_READ,
  ACTIVITY_FEED_READ_DLP,
  DEPLOYER_OBJECT_ID,
  installMocks,
  mockGuid,
  SECRET_MATERIAL,
  SUBSCRIPTION_ID,
  USER_READ_ALL,
  valueOf,
} from "./mocks.ts";

const MSSP_TENANT = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

// The subscription, and so the shared identity, is in the MSSP's tenant, as the cross-tenant exchange requires.
const registered = installMocks({ azureTenantId: MSSP_TENANT }, "auditfeed-provider", "test");

interface Captured {
  readonly type: string;
  readonly name: string;
  readonly resource: pulumi.Resource;
  readonly props: Record<string, unknown>;
  readonly opts: pulumi.CustomResourceOptions;
}

let deployments = 0;

async function deploy(values: Record<string, string> = {}): Promise<{ captured: Captured[]; outputs: ProviderStackOutputs; name: string }> {
  const name = `mssp${++deployments}`;
  const config = parseProviderConfig({ name, tenantId: MSSP_TENANT, ...values });
  const captured: Captured[] = [];
  const outputs = declareProviderStack(
    config,
    { stack: "prod", azureSubscriptionId: undefined, azureTenantId: undefined },
    {
      transformations: [
        (args) => {
          captured.push({ type: args.type, name: args.name, resource: args.resource, props: args.props, opts: args.opts });
          return undefined;
        },
      ],
    },
  );
  await valueOf(pulumi.all(Object.values(outputs).map((output) => pulumi.output(output))));
  return { captured, outputs, name };
}

function inputsOf(name: string, type: string): Record<string, unknown>[] {
  return registered.filter((r) => r.type === type && r.name.startsWith(`${name}-`)).map((r) => r.inputs as Record<string, unknown>);
}

const SHARED_TYPES = [
  "auditfeed:index:MsspProvider",
  "azuread:index/application:Application",
  "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
  "azure-native:app:ManagedEnvironment",
  "azure-native:authorization:RoleAssignment",
  "azure-native:managedidentity:UserAssignedIdentity",
  "azure-native:operationalinsights:Workspace",
  "azure-native:resources:ResourceGroup",
  "azure-native:storage:StorageAccount",
];

const CLOUD_CASES: { cloud: CloudName; issuerHost: string; audience: string }[] = [
  { cloud: "commercial", issuerHost: "login.microsoftonline.com", audience: "api://AzureADTokenExchange" },
  { cloud: "gcc", issuerHost: "login.microsoftonline.com", audience: "api://AzureADTokenExchange" },
  { cloud: "gcchigh", issuerHost: "login.microsoftonline.us", audience: "api://AzureADTokenExchangeUSGov" },
  { cloud: "dod", issuerHost: "login.microsoftonline.us", audience: "api://AzureADTokenExchangeUSGov" },
];

describe.each(CLOUD_CASES)("provider stack in $cloud", ({ cloud, issuerHost, audience }) => {
  it("should declare exactly the multi-tenant app, its federated credential and the shared runtime, and no credential material", async () => {
    const { captured } = await deploy({ cloud });
    expect(captured.map((c) => c.type).sort()).toEqual([...SHARED_TYPES].sort());
  });

  it("should make the app trust the shared identity with the cloud's issuer, the identity's principal id and the cloud's exchange audience", async () => {
    const { name, outputs } = await deploy({ cloud });
    const [federated] = inputsOf(name, "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential");
    expect(federated).toMatchObject({
      applicationId: `${name}-mssp-app-id`,
      issuer: `https://${issuerHost}/${MSSP_TENANT}/v2.0`,
      subject: `principal-${name}-mssp-identity`,
      audiences: [audience],
    });
    expect(audience).toBe(CLOUDS[cloud].tokenExchangeAudience);
    expect(await valueOf(pulumi.output(outputs.federatedCredential))).toEqual({
      issuer: `https://${issuerHost}/${MSSP_TENANT}/v2.0`,
      subject: `principal-${name}-mssp-identity`,
      audience,
    });
  });

  it("should pin both providers to the MSSP's tenant and the cloud", async () => {
    const { name } = await deploy({ cloud });
    const [entra] = registered
      .filter((r) => r.type === "pulumi:providers:azuread" && r.name === `${name}-entra`)
      .map((r) => r.inputs as Record<string, unknown>);
    const [azure] = registered
      .filter((r) => r.type === "pulumi:providers:azure-native" && r.name === `${name}-azure`)
      .map((r) => r.inputs as Record<string, unknown>);
    expect(entra).toMatchObject({ tenantId: MSSP_TENANT, environment: CLOUDS[cloud].azureadEnvironment });
    expect(azure).toMatchObject({ environment: CLOUDS[cloud].azureEnvironment });
  });
});

describe("provider stack", () => {
  it("should register a multi-tenant app with ActivityFeed.Read and ActivityFeed.ReadDlp resolved by name, the deployer as owner", async () => {
    const { name } = await deploy();
    const [application] = inputsOf(name, "azuread:index/application:Application");
    expect(application).toMatchObject({
      signInAudience: "AzureADMultipleOrgs",
      owners: [DEPLOYER_OBJECT_ID],
      requiredResourceAccesses: [
        {
          resourceAppId: "c5393580-f805-4401-95e8-94b7a6ef2fc2",
          resourceAccesses: [
            { id: ACTIVITY_FEED_READ, type: "Role" },
            { id: ACTIVITY_FEED_READ_DLP, type: "Role" },
          ],
        },
      ],
    });
    expect(application?.password).toBeUndefined();
  });

  it("should declare the optional Graph roles only when asked, and say so in declaredRoles", async () => {
    const { name, outputs } = await deploy({ graphUserRead: "true" });
    const [application] = inputsOf(name, "azuread:index/application:Application");
    expect(application?.requiredResourceAccesses).toContainEqual({
      resourceAppId: "00000003-0000-0000-c000-000000000000",
      resourceAccesses: [{ id: USER_READ_ALL, type: "Role" }],
    });
    expect(outputs.declaredRoles).toEqual(["ActivityFeed.Read", "ActivityFeed.ReadDlp", "User.Read.All"]);
  });

  it("should give the shared identity blob data rights on the state account, and nothing else", async () => {
    const { name } = await deploy();
    const assignments = inputsOf(name, "azure-native:authorization:RoleAssignment");
    expect(assignments.map((a) => [a.scope, a.principalId, a.roleDefinitionId])).toEqual([
      [
        `${name}state-id`,
        `principal-${name}-mssp-identity`,
        `/subscriptions/${SUBSCRIPTION_ID}/providers/Microsoft.Authorization/roleDefinitions/ba92f5b4-2d11-453d-a403-e96b0029c9fe`,
      ],
    ]);
    const [account] = registered
      .filter((r) => r.type === "azure-native:storage:StorageAccount" && r.name === `${name}state`)
      .map((r) => r.inputs as Record<string, unknown>);
    expect(account).toMatchObject({ allowSharedKeyAccess: false, allowBlobPublicAccess: false });
  });

  it("should protect every shared piece, and make the environment, which tenant stacks lock, the first thing a destroy deletes", async () => {
    const { captured } = await deploy();
    for (const resource of captured.filter((c) => c.type !== "auditfeed:index:MsspProvider")) expect(resource.opts.protect, resource.name).toBe(true);
    const environment = captured.find((c) => c.type === "azure-native:app:ManagedEnvironment");
    const dependsOn = environment?.opts.dependsOn as pulumi.Resource[];
    for (const type of [
      "azuread:index/application:Application",
      "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
      "azure-native:managedidentity:UserAssignedIdentity",
      "azure-native:storage:StorageAccount",
      "azure-native:authorization:RoleAssignment",
    ]) {
      expect(dependsOn, type).toContain(captured.find((c) => c.type === type)?.resource);
    }
  });

  it("should lift the protection only when decommissioning", async () => {
    const { captured } = await deploy({ decommission: "true" });
    for (const resource of captured.filter((c) => c.type !== "auditfeed:index:MsspProvider")) expect(resource.opts.protect, resource.name).toBe(false);
  });

  it("should export exactly the contract's outputs, none secret and none holding secret material", async () => {
    const { outputs, name } = await deploy();
    expect(Object.keys(outputs).sort()).toEqual([...PROVIDER_OUTPUT_NAMES].sort());
    for (const [key, output] of Object.entries(outputs)) expect(await pulumi.isSecret(pulumi.output(output)), key).toBe(false);
    const resolved = JSON.stringify(await valueOf(pulumi.all(Object.values(outputs).map((output) => pulumi.output(output)))));
    for (const material of SECRET_MATERIAL) expect(resolved).not.toContain(material);
    expect(await valueOf(pulumi.output(outputs.clientId))).toBe(mockGuid(`client-id-${name}-mssp-app`));
    expect(outputs.tenantId).toBe(MSSP_TENANT);
    // The shared environment's workspace: the tenant stacks' alerts and workbooks query it.
    expect(await valueOf(pulumi.output(outputs.workspaceId))).toBe(`${name}-mssp-logs-id`);
  });

  it("should refuse a shared identity outside the app's tenant, which Entra would refuse with AADSTS700236", () => {
    expect(assertIdentityInProviderTenant(MSSP_TENANT.toUpperCase(), MSSP_TENANT)).toBe(MSSP_TENANT);
    expect(() => assertIdentityInProviderTenant("other", MSSP_TENANT)).toThrow(
      `The shared managed identity was created in tenant other, but the multi-tenant app is registered in ${MSSP_TENANT}; Entra trusts an identity only in the app's own tenant. Deploy the provider stack into a subscription of tenant ${MSSP_TENANT}.`,
    );
  });
});

describe("provider stack configuration", () => {
  it("should fill in defaults", () => {
    expect(parseProviderConfig({ name: "fabrikam", tenantId: MSSP_TENANT.toUpperCase(), cloud: "gcchigh" })).toMatchObject({
      name: "fabrikam",
      displayName: "fabrikam",
      tenantId: MSSP_TENANT,
      location: "usgovvirginia",
      graphUserRead: false,
      decommission: false,
      logRetentionDays: 30,
    });
  });

  it.each([
    [{ name: "fabrikam" }, "auditfeed-provider:tenantId is required"],
    [
      { name: "Fabrikam", tenantId: MSSP_TENANT },
      'auditfeed-provider:name must be 3 to 12 lowercase letters or digits starting with a letter (it prefixes Azure resource names); got "Fabrikam"',
    ],
    [{ name: "fabrikam", tenantId: MSSP_TENANT, credential: "secret" }, "auditfeed-provider:credential is not a setting of this stack; remove it"],
    [{ name: "fabrikam", tenantId: MSSP_TENANT, cloud: "china" }, 'auditfeed-provider:cloud must be one of commercial, gcc, gcchigh, dod; got "china"'],
    [{ name: "fabrikam", tenantId: MSSP_TENANT, decommission: "yes" }, 'auditfeed-provider:decommission must be true or false; got "yes"'],
  ])("should refuse %o naming the key", (values, message) => {
    expect(() => parseProviderConfig(values)).toThrow(message);
  });

  it("should refuse a subscription in another tenant than the app's", () => {
    expect(() => parseProviderConfig({ name: "fabrikam", tenantId: MSSP_TENANT }, { azureNativeTenantId: "00000000-0000-4000-8000-000000000001" })).toThrow(
      `auditfeed-provider:tenantId is ${MSSP_TENANT} but azure-native:tenantId is 00000000-0000-4000-8000-000000000001: the managed identity and the multi-tenant app must be in the same tenant.`,
    );
  });
});
