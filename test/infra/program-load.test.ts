import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { PROVIDER_OUTPUT_NAMES } from "../../infra/provider-contract.ts";
import type { LoadRequest } from "./fixtures/load-program.ts";
import { SECRET_MATERIAL } from "./mocks.ts";

const root = path.resolve(import.meta.dirname, "../..");
const harness = path.join(import.meta.dirname, "fixtures", "load-program.ts");

interface HarnessReport {
  readonly types: string[];
  readonly outputs: Record<string, { value: unknown; secret: boolean }>;
}

/**
 * A separate plain Node process, started in the project's directory as Pulumi starts it: a module-resolution error
 * (directory import, missing .ts extension) that vitest's resolver would forgive fails here exactly as `pulumi up` would.
 */
async function load(projectDirectory: string, request: LoadRequest): Promise<{ report: HarnessReport; stdout: string }> {
  const { stdout } = await promisify(execFile)(process.execPath, [harness, JSON.stringify(request)], { cwd: projectDirectory, maxBuffer: 10_000_000 });
  return { report: JSON.parse(stdout) as HarnessReport, stdout };
}

describe("Pulumi program loading", () => {
  it("should load Pulumi.yaml's main with plain Node ESM and declare the whole stack", async () => {
    const { report, stdout } = await load(root, {
      project: "auditfeed",
      stack: "contoso",
      azureTenantId: "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
      config: {
        "auditfeed:customer": "contoso",
        "auditfeed:tenantId": "7d3c1a52-8f4e-4b9a-9c21-5e6f7a8b9c0d",
        "auditfeed:cloud": "gcchigh",
        "auditfeed:credential": "secret",
        "auditfeed:sink": "stdout",
        "azure-native:tenantId": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
      },
      secretKeys: [],
    });
    expect(report.types).toEqual(
      expect.arrayContaining([
        "auditfeed:index:TenantAccess",
        "auditfeed:index:CollectorRuntime",
        "auditfeed:index:AppCredential",
        "azuread:index/application:Application",
        "azuread:index/appRoleAssignment:AppRoleAssignment",
        "azuread:index/directoryRoleAssignment:DirectoryRoleAssignment",
        "azuread:index/applicationPassword:ApplicationPassword",
        "azure-native:app:Job",
        "azure-native:keyvault:Secret",
        "pulumi:providers:azuread",
        "pulumi:providers:azure-native",
      ]),
    );
    expect(report.types.filter((t) => t === "azure-native:keyvault:Secret")).toHaveLength(1);
    expect(Object.keys(report.outputs).sort()).toEqual(
      [
        "clientId",
        "credential",
        "credentialExpiresAt",
        "grantedRoles",
        "jobName",
        "resourceGroupName",
        "servicePrincipalObjectId",
        "stateLocation",
        "tenantId",
      ].sort(),
    );
    expect(report.outputs.tenantId?.value).toBe("7d3c1a52-8f4e-4b9a-9c21-5e6f7a8b9c0d");
    expect(report.outputs.credential?.value).toBe("secret");
    for (const material of SECRET_MATERIAL) expect(stdout).not.toContain(material);
  });

  it("should load the tenant program in MSSP mode, reading the provider stack, with no credential anywhere", async () => {
    const msspTenant = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    const { report, stdout } = await load(root, {
      project: "auditfeed",
      stack: "contoso",
      azureTenantId: msspTenant,
      config: {
        "auditfeed:customer": "contoso",
        "auditfeed:tenantId": "7d3c1a52-8f4e-4b9a-9c21-5e6f7a8b9c0d",
        "auditfeed:providerStack": "fabrikam/auditfeed-provider/prod",
        "azure-native:tenantId": msspTenant,
      },
      secretKeys: [],
      providerOutputs: {
        "fabrikam/auditfeed-provider/prod": {
          tenantId: msspTenant,
          cloud: "commercial",
          clientId: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",
          declaredRoles: ["ActivityFeed.Read", "ActivityFeed.ReadDlp"],
          identityResourceId: "/subscriptions/s/resourceGroups/fabrikam/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shared",
          identityClientId: "shared-identity-client-id",
          identityPrincipalId: "shared-principal",
          location: "westeurope",
          resourceGroupName: "fabrikam",
          environmentId: "/subscriptions/s/resourceGroups/fabrikam/providers/Microsoft.App/managedEnvironments/shared",
          stateAccountName: "fabrikamstate",
          stateBlobEndpoint: "https://fabrikamstate.blob.core.windows.net/",
          workspaceId: "/subscriptions/s/resourceGroups/fabrikam/providers/Microsoft.OperationalInsights/workspaces/shared",
        },
      },
    });
    expect(report.types).toEqual(
      expect.arrayContaining(["pulumi:pulumi:StackReference", "azure-native:authorization:ManagementLockByScope", "azure-native:app:Job"]),
    );
    expect(
      report.types.filter((type) =>
        /application:Application$|applicationPassword|applicationCertificate|applicationFederatedIdentityCredential|keyvault:Secret|^tls:/.test(type),
      ),
    ).toEqual([]);
    expect(report.outputs.clientId?.value).toBe("9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a");
    expect(report.outputs.stateLocation?.value).toBe("azblob://fabrikamstate/state-contoso");
    for (const material of SECRET_MATERIAL) expect(stdout).not.toContain(material);
  });

  it("should load the provider project's main the same way and export exactly the contract with tenant stacks, nothing secret", async () => {
    const msspTenant = "5a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
    const { report, stdout } = await load(path.join(root, "infra", "provider"), {
      project: "auditfeed-provider",
      stack: "prod",
      azureTenantId: msspTenant,
      config: {
        "auditfeed-provider:name": "fabrikam",
        "auditfeed-provider:tenantId": msspTenant,
        "auditfeed-provider:cloud": "dod",
        "azure-native:tenantId": msspTenant,
      },
      secretKeys: [],
    });
    expect(report.types).toEqual(
      expect.arrayContaining([
        "auditfeed:index:MsspProvider",
        "azuread:index/application:Application",
        "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential",
        "azure-native:app:ManagedEnvironment",
        "pulumi:providers:azuread",
        "pulumi:providers:azure-native",
      ]),
    );
    expect(Object.keys(report.outputs).sort()).toEqual([...PROVIDER_OUTPUT_NAMES].sort());
    for (const [name, output] of Object.entries(report.outputs)) expect(output.secret, name).toBe(false);
    expect(report.outputs.federatedCredential?.value).toMatchObject({
      issuer: `https://login.microsoftonline.us/${msspTenant}/v2.0`,
      audience: "api://AzureADTokenExchangeUSGov",
    });
    for (const material of SECRET_MATERIAL) expect(stdout).not.toContain(material);
  });
});
